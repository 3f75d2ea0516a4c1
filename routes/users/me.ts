import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { authOf } from '../../plugins/auth.js'
import { errorResponses, NoContent } from '../../schemas/error.js'
import { PasswordChangeSchema, UserRef } from '../../schemas/users.js'
import { toUserView } from '../../src/users/user-view.js'

const security = [{ OAuth2PasswordBearer: [] }]

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/users/me', {
    preHandler: [app.authenticate],
    schema: {
      operationId: 'getMe',
      tags: ['account'],
      summary: 'The authenticated user',
      security,
      response: { 200: UserRef('The authenticated user'), ...errorResponses(401) }
    }
  }, (request, reply) => {
    // Synchronous: nothing to await, so no promise per request.
    reply.send(toUserView(authOf(request).user))
  })

  app.put('/users/me/password', {
    preHandler: [app.authenticate],
    schema: {
      operationId: 'changePassword',
      tags: ['account'],
      summary: 'Change the password; every other session is revoked',
      description: 'A wrong current password counts as a failed login for the user (429 with Retry-After once locked out, even for the right one).',
      security,
      body: PasswordChangeSchema,
      response: { 204: NoContent, ...errorResponses(400, 401, 403) }
    }
  }, async (request, reply) => {
    const { user, session } = authOf(request)
    const revoked = await app.userService.changePassword(user, session.id,
      { current: request.body.current_password, next: request.body.new_password },
      { ip: request.ip }, (event) => { request.audit(event) })
    request.audit({ event: 'user.password_changed', username: user.username, revoked_sessions: revoked })
    return reply.code(204).send(null)
  })
}

export default routes
