import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import type { AuthContext } from '../src/auth/auth-service.js'
import { secondFactorRequired } from '../src/errors.js'
import { hasSecondFactor, MFA_ACR } from '../src/tokens/access-tokens.js'

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
    /** preHandler of admin routes: with ADMIN_REQUIRES_MFA, the token's login must have had a second factor (RFC 9470 acr_values). */
    requireAdminSecondFactor: preHandlerAsyncHookHandler
  }
}

export function authOf (request: FastifyRequest): AuthContext {
  if (request.auth === null) throw new Error('route uses request.auth without the authenticate preHandler')
  return request.auth
}

export default fp(async (app) => {
  app.decorateRequest('auth', null)

  // One promise chain, not an async function awaiting two: fewer promises and microtask turns on every Bearer request.
  app.decorate('authenticate', function authenticate (request: FastifyRequest, _reply: FastifyReply) {
    return app.accessTokens.verifyRequest(request)
      .then(claims => app.authService.authorize(claims))
      .then(auth => { request.auth = auth })
  })

  app.decorate('requireScopes', (...scopes: string[]) => async function requireScopes (request: FastifyRequest) {
    app.authService.requireScopes(authOf(request), scopes)
  })

  app.decorate('requireRecentLogin', async function requireRecentLogin (request: FastifyRequest) {
    app.authService.requireRecentLogin(authOf(request))
  })

  app.decorate('requireAdminSecondFactor', async function requireAdminSecondFactor (request: FastifyRequest) {
    if (app.config.mfa.adminRequiresMfa && !hasSecondFactor(authOf(request).claims)) throw secondFactorRequired(MFA_ACR)
  })
}, { name: 'auth', dependencies: ['jwt', 'services'], fastify: '5.x' })
