import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { authOf } from '../../plugins/auth.js'
import { errorResponses, NoContent } from '../../schemas/error.js'
import { SessionListSchema, SessionParamsSchema } from '../../schemas/sessions.js'
import { notFound } from '../../src/errors.js'
import { toSessionView } from '../../src/sessions/session.js'

const security = [{ OAuth2PasswordBearer: [] }]

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const limits = { idleMs: app.config.sessions.idleTtlSeconds * 1000 }

  app.get('/users/me/sessions', {
    preHandler: [app.authenticate],
    schema: {
      operationId: 'listSessions',
      tags: ['account'],
      summary: 'The user\'s active sessions (one per login)',
      security,
      response: { 200: SessionListSchema, ...errorResponses(401) }
    }
  }, async (request) => {
    const { user, session } = authOf(request)
    const sessions = await app.store.sessions.listForUser(user.id)
    return sessions.filter(s => app.authService.isUsable(s)).map(s => toSessionView(s, session.id, limits))
  })

  app.delete('/users/me/sessions/:id', {
    preHandler: [app.authenticate],
    schema: {
      operationId: 'revokeSession',
      tags: ['account'],
      summary: 'Revoke one of the user\'s sessions',
      security,
      params: SessionParamsSchema,
      response: { 204: NoContent, ...errorResponses(401, 404) }
    }
  }, async (request, reply) => {
    const { user } = authOf(request)
    if (!await app.store.sessions.revokeForUser(user.id, request.params.id, Date.now())) throw notFound('No such session')
    request.audit({ event: 'session.revoked', via: 'sessions', username: user.username, session_id: request.params.id })
    return reply.code(204).send(null)
  })

  app.delete('/users/me/sessions', {
    preHandler: [app.authenticate, app.requireRecentLogin],
    schema: {
      operationId: 'revokeAllSessions',
      tags: ['account'],
      summary: 'Log out everywhere: revoke every session, this one included',
      description: 'Needs a recent password login (RFC 9470): otherwise 401 insufficient_user_authentication.',
      security,
      response: { 204: NoContent, ...errorResponses(401) }
    }
  }, async (request, reply) => {
    const { user } = authOf(request)
    const revoked = await app.store.sessions.revokeAllForUser(user.id, Date.now())
    request.audit({ event: 'session.revoked_all', username: user.username, revoked_sessions: revoked })
    return reply.code(204).send(null)
  })
}

export default routes
