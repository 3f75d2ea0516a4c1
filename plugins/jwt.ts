import fp from 'fastify-plugin'
import { createAccessTokenService, type AccessTokenService } from '../src/tokens/access-tokens.js'

declare module 'fastify' {
  interface FastifyInstance {
    accessTokens: AccessTokenService
  }
}

/**
 * Signs and verifies access tokens with fast-jwt (the engine under
 * @fastify/jwt), one verifier per key id, each pinned to the configured algorithm.
 */
export default fp(async (app) => {
  const { config, keys } = app
  app.decorate('accessTokens', createAccessTokenService({
    keys,
    issuer: config.publicUrl,
    audience: config.jwt.audience,
    ttlSeconds: config.jwt.accessTokenTtlSeconds,
    cacheSize: config.authCacheSize
  }))
}, { name: 'jwt', dependencies: ['config'], fastify: '5.x' })
