import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errorResponses, NoContent } from '../schemas/error.js'
import { PasswordResetAcceptedSchema, PasswordResetConfirmSchema, PasswordResetRequestSchema } from '../schemas/password-reset.js'

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/password-reset', {
    schema: {
      operationId: 'requestPasswordReset',
      tags: ['account'],
      summary: 'Ask for a password-reset mail',
      description: 'Send exactly one of `email` and `username`. The answer is 202 `{}` at once, whatever the account: ' +
        'known or not, disabled, without an email. An enabled account with an email gets a mail with a one-time token ' +
        '(PASSWORD_RESET_TTL_MINUTES; a newer request ends the older tokens). Limited per submitted address and per client IP (429 with Retry-After).',
      security: [],
      body: PasswordResetRequestSchema,
      response: { 202: PasswordResetAcceptedSchema, ...errorResponses(400) }
    }
  }, async (request, reply) => {
    const { email, username } = request.body
    await app.passwordReset.request(email !== undefined ? { email } : { username: username ?? '' }, request.ip)
    return await reply.code(202).send({})
  })

  app.post('/password-reset/confirm', {
    schema: {
      operationId: 'confirmPasswordReset',
      tags: ['account'],
      summary: 'Set a new password with the token from the mail; every session is revoked',
      description: 'The password policy applies (400 invalid_request, and the token still works). A used, expired or unknown token is 400 invalid_grant. ' +
        'On success a login lockout is lifted, every session of the user ends at once, and a "your password was changed" mail is sent.',
      security: [],
      body: PasswordResetConfirmSchema,
      response: { 204: NoContent, ...errorResponses(400) }
    }
  }, async (request, reply) => {
    const { user, revokedSessions } = await app.passwordReset.confirm(request.body.token, request.body.new_password, request.ip)
    request.audit({ event: 'user.password_reset', username: user.username, revoked_sessions: revokedSessions })
    return await reply.code(204).send(null)
  })
}

export default routes
