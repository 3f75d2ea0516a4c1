import fp from 'fastify-plugin'
import type { Config } from '../src/config.js'
import type { KeySet } from '../src/tokens/keys.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
    keys: KeySet
  }
}

/** Exposes the validated configuration and the resolved signing keys. */
export default fp<{ config: Config, keys: KeySet }>(async (app, { config, keys }) => {
  app.decorate('config', config)
  app.decorate('keys', keys)
  if (config.trustProxy === true) {
    app.log.warn('TRUST_PROXY=true trusts every hop: the client-written leftmost X-Forwarded-For entry becomes the client address, so per-IP limits can be dodged. Set the number of proxies in front (TRUST_PROXY=1) or their addresses (TRUST_PROXY=10.0.0.0/8).')
  }
}, { name: 'config', fastify: '5.x' })
