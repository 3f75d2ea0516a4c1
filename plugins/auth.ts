import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import type { AuthContext } from '../src/auth/auth-service.js'
import { invalidToken, missingCredentials } from '../src/errors.js'

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

const BEARER = /^Bearer +([^\s]*) *$/i

export function bearerToken (request: FastifyRequest): string {
  const header = request.headers.authorization
  if (header === undefined || header === '') throw missingCredentials()
  const match = BEARER.exec(header)
  if (match === null) throw missingCredentials()
  const token = match[1] as string
  if (token === '') throw invalidToken('The access token is malformed')
  return token
}

export function authOf (request: FastifyRequest): AuthContext {
  if (request.auth === null) throw new Error('route uses request.auth without the authenticate preHandler')
  return request.auth
}

export default fp(async (app) => {
  app.decorateRequest('auth', null)

  app.decorate('authenticate', async function authenticate (request: FastifyRequest, _reply: FastifyReply) {
    request.auth = await app.authService.authenticate(bearerToken(request))
  })

  app.decorate('requireScopes', (...scopes: string[]) => async function requireScopes (request: FastifyRequest) {
    app.authService.requireScopes(authOf(request), scopes)
  })

  app.decorate('requireRecentLogin', async function requireRecentLogin (request: FastifyRequest) {
    app.authService.requireRecentLogin(authOf(request))
  })
}, { name: 'auth', dependencies: ['services'], fastify: '5.x' })
