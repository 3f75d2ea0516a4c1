import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import type { AuthContext } from '../src/auth/auth-service.js'

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext | null
  }
  interface FastifyInstance {
    /** preHandler: requires a valid, unrevoked Bearer token of an active user. */
    authenticate: preHandlerAsyncHookHandler
    /** preHandler factory: the authenticated token must carry every listed scope. */
    requireScopes: (...scopes: string[]) => preHandlerAsyncHookHandler
    /** preHandler: the password must have been checked recently (RFC 9470 step-up). */
    requireRecentLogin: preHandlerAsyncHookHandler
  }
}

export function authOf (request: FastifyRequest): AuthContext {
  if (request.auth === null) throw new Error('route uses request.auth without the authenticate preHandler')
  return request.auth
}

export default fp(async (app) => {
  app.decorateRequest('auth', null)

  app.decorate('authenticate', async function authenticate (request: FastifyRequest, _reply: FastifyReply) {
    request.auth = await app.authService.authorize(await app.accessTokens.verifyRequest(request))
  })

  app.decorate('requireScopes', (...scopes: string[]) => async function requireScopes (request: FastifyRequest) {
    app.authService.requireScopes(authOf(request), scopes)
  })

  app.decorate('requireRecentLogin', async function requireRecentLogin (request: FastifyRequest) {
    app.authService.requireRecentLogin(authOf(request))
  })
}, { name: 'auth', dependencies: ['jwt', 'services'], fastify: '5.x' })
