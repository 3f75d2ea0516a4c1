import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { authOf } from '../plugins/auth.js'
import { errorResponses, NoContent } from '../schemas/error.js'

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const cookie = app.refreshCookie

  app.post('/logout', {
    onRequest: cookie.refuseCrossSite,
    preHandler: [app.authenticate],
    schema: {
      operationId: 'logout',
      tags: ['auth'],
      summary: 'Log out: revoke the current session, its refresh token and, immediately, its access tokens',
      security: [{ OAuth2PasswordBearer: [] }],
      response: { 204: NoContent, ...errorResponses(401, 403) }
    }
  }, async (request, reply) => {
    const { session, user } = authOf(request)
    await app.store.sessions.revoke(session.id, Date.now())
    request.audit({ event: 'session.revoked', via: 'logout', username: user.username, session_id: session.id })
    cookie.clear(request, reply)
    return reply.code(204).send(null)
  })
}

export default routes
