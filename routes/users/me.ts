import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { authOf } from '../../plugins/auth.js'
import { MailQueuedSchema } from '../../schemas/email-verification.js'
import { errorResponses, NoContent } from '../../schemas/error.js'
import { MePatchSchema, PasswordChangeSchema, UserRef } from '../../schemas/users.js'
import { RESEND_INTERVAL_SECONDS } from '../../src/account/email-verification.js'
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

  app.patch('/users/me', {
    preHandler: [app.authenticate, app.requireRecentLogin],
    schema: {
      operationId: 'updateMe',
      tags: ['account'],
      summary: 'Change your email address or full name (needs a recent login)',
      description: 'A new email is unverified: a verification mail goes to it, and a notice to the old address. ' +
        'The same address changes nothing; null removes it (the notice still goes to the old one). ' +
        `A new address within ${RESEND_INTERVAL_SECONDS} seconds of the last verification mail is 429 (Retry-After).`,
      security,
      body: MePatchSchema,
      response: { 200: UserRef('The updated user'), ...errorResponses(400, 401) }
    }
  }, async (request) => {
    const { user } = authOf(request)
    const { email, full_name: fullName } = request.body
    let updated = user
    if (fullName !== undefined) {
      updated = (await app.userService.update(user.username, { fullName })).user
      request.audit({ event: 'user.updated', username: user.username, changes: ['full_name'], revoked_sessions: 0 })
    }
    if (email !== undefined) {
      const changed = await app.emailVerification.changeEmail(updated, email)
      updated = changed.user
      if (changed.changed) request.audit({ event: 'user.email_changed', username: user.username })
    }
    return toUserView(updated)
  })

  app.post('/users/me/email/verify', {
    preHandler: [app.authenticate],
    schema: {
      operationId: 'sendEmailVerification',
      tags: ['account'],
      summary: 'Mail a verification link to your email address',
      description: 'The link (or code) is confirmed with POST /email-verification/confirm; a newer mail replaces older ones. ' +
        `400 without an address, 409 when it is already verified, 429 (Retry-After) within ${RESEND_INTERVAL_SECONDS} seconds of the last mail.`,
      security,
      response: { 202: MailQueuedSchema, ...errorResponses(400, 401, 409) }
    }
  }, async (request, reply) => {
    await app.emailVerification.send(authOf(request).user)
    return reply.code(202).send({})
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
