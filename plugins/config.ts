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
}, { name: 'config', fastify: '5.x' })
