import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import formOnly from '../plugins/form-only.js'
import { errorResponses } from '../schemas/error.js'
import { IntrospectRequestSchema, IntrospectResponseSchema } from '../schemas/introspect.js'
import { createIntrospection } from '../src/auth/introspection.js'
import { isConfidential } from '../src/clients/client-authentication.js'
import { accessDenied, insufficientScope, invalidClient, invalidRequest, ServiceError } from '../src/errors.js'
import { isClientToken } from '../src/tokens/access-tokens.js'
import { INTROSPECT_SCOPE } from '../src/users/scopes.js'

const BEARER_SCHEME = /^Bearer(?: |$)/i

const routes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(formOnly)
  const introspection = createIntrospection({
    authService: app.authService,
    store: app.store,
    issuer: app.config.publicUrl,
    idleTtlSeconds: app.config.sessions.idleTtlSeconds
  })

  /**
   * The calling client's id: a client-credentials token holding `introspect`
   * (RFC 7662 §2.1 allows an access token), checked like any Bearer token, or
   * a confidential client authenticated as at /token whose scopes include it.
   */
  async function callerOf (request: FastifyRequest): Promise<string> {
    if (BEARER_SCHEME.test(request.headers.authorization ?? '')) {
      const claims = await app.accessTokens.verifyRequest(request)
      if (!isClientToken(claims)) throw accessDenied('Introspection needs a client\'s own token (client_credentials) or client credentials, not a user\'s token')
      const context = await app.authService.authorizeClient(claims)
      if (!context.scopes.includes(INTROSPECT_SCOPE)) throw insufficientScope([INTROSPECT_SCOPE])
      return context.client.id
    }
    const client = await app.authenticateClient(request)
    if (client === undefined || !isConfidential(client)) {
      throw invalidClient('Introspection needs client authentication: HTTP Basic, client_id and client_secret, or a client-credentials Bearer token', true)
    }
    if (!client.scopes.includes(INTROSPECT_SCOPE)) {
      throw new ServiceError('insufficient_scope', 403, `This client may not introspect tokens: it needs the ${INTROSPECT_SCOPE} scope`)
    }
    return client.id
  }

  app.post('/introspect', {
    schema: {
      operationId: 'introspectToken',
      security: [{ clientBasic: [] }, { OAuth2ClientCredentials: [INTROSPECT_SCOPE] }],
      tags: ['auth'],
      summary: 'Token introspection (RFC 7662): is this token active, and whose is it',
      description: 'Form-encoded. The caller is a registered confidential client holding the `introspect` scope, authenticated with HTTP Basic or ' +
        'client_id/client_secret in the form, or a service sending its own client-credentials token as `Authorization: Bearer`. ' +
        'An access token gets exactly the checks of a Bearer request (signature, expiry, session revoked or ended, user or client disabled or deleted); ' +
        'anything refused is `{"active": false}`. A refresh token is described only to the client its session belongs to; to any other caller it is inactive.',
      consumes: ['application/x-www-form-urlencoded'],
      body: IntrospectRequestSchema,
      response: { 200: IntrospectResponseSchema, ...errorResponses(400, 401, 403, 415) }
    }
  }, async (request, reply) => {
    const callerId = await callerOf(request)
    const token = request.body.token
    if (token === undefined || token === '') throw invalidRequest('Missing parameter: token')
    const answer = await introspection.introspect(token, callerId, async presented => await app.accessTokens.verifyPresented(request, presented))
    return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(answer)
  })
}

export default routes
