import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { preHandlerAsyncHookHandler } from 'fastify'
import { errorResponses, NoContent } from '../../schemas/error.js'
import {
  RegistrationSchema, UserListQuerySchema, UserListSchema, UsernameParamsSchema, UserPatchSchema, UserRef
} from '../../schemas/users.js'
import { invalidRequest } from '../../src/errors.js'
import { ADMIN_SCOPE } from '../../src/users/scopes.js'
import { toUserView } from '../../src/users/user-view.js'

const adminSecurity = [{ OAuth2PasswordBearer: [ADMIN_SCOPE] }]

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const admin = [app.authenticate, app.requireScopes(ADMIN_SCOPE), app.requireAdminSecondFactor]
  const adminChange = [...admin, app.requireRecentLogin]

  /** POST /users: open sign-up when SIGNUP_ENABLED and no credentials were sent; otherwise the admin checks. */
  const unlessOpenSignup = (check: preHandlerAsyncHookHandler): preHandlerAsyncHookHandler =>
    async function (request, reply) {
      if (app.config.signupEnabled && request.headers.authorization === undefined) return
      await check.call(this, request, reply)
    }

  app.post('/users', {
    preHandler: adminChange.map(unlessOpenSignup),
    schema: {
      operationId: 'createUser',
      tags: ['admin'],
      summary: 'Register a user',
      description: `Open to anyone when SIGNUP_ENABLED=true; otherwise needs scope ${ADMIN_SCOPE} and a recent login. Scopes are set by admins (PATCH), ` +
        'email_verified by admins here. An open sign-up with an email is mailed a verification link; with EMAIL_VERIFICATION_REQUIRED=true it must give an email.',
      security: [{}, ...adminSecurity],
      body: RegistrationSchema,
      response: { 201: UserRef('The new user'), ...errorResponses(400, 401, 403, 409) }
    }
  }, async (request, reply) => {
    // No credentials got past the preHandlers: an open sign-up.
    const openSignup = request.auth === null
    if (openSignup && request.body.email_verified !== undefined) throw invalidRequest('email_verified is set by admins only')
    if (openSignup && app.config.account.emailVerificationRequired && request.body.email === undefined) {
      throw invalidRequest('An email address is required: it must be verified before the first login')
    }
    const user = await app.userService.register({
      username: request.body.username,
      password: request.body.password,
      email: request.body.email ?? null,
      fullName: request.body.full_name ?? null,
      emailVerified: request.body.email_verified
    }, { ip: request.ip })
    request.audit({ event: 'user.created', username: user.username })
    if (openSignup && user.email !== null) {
      // The user exists now: a mail that cannot be written does not make the sign-up fail (a login or POST /users/me/email/verify mails another).
      await app.emailVerification.send(user)
        .catch((err: Error) => { request.log.warn({ err: { message: err.message } }, 'no verification mail after sign-up') })
    }
    return reply.code(201).header('location', `/users/${encodeURIComponent(user.username)}`).send(toUserView(user))
  })

  app.get('/users', {
    preHandler: admin,
    schema: {
      operationId: 'listUsers',
      tags: ['admin'],
      summary: 'List users (cursor pagination by username)',
      security: adminSecurity,
      querystring: UserListQuerySchema,
      response: { 200: UserListSchema, ...errorResponses(400, 401, 403) }
    }
  }, async (request) => {
    const page = await app.userService.list({ after: request.query.after, limit: request.query.limit ?? 50 })
    return { users: page.users.map(toUserView), next_cursor: page.nextCursor }
  })

  app.get('/users/:username', {
    preHandler: admin,
    schema: {
      operationId: 'getUser',
      tags: ['admin'],
      summary: 'Read a user',
      security: adminSecurity,
      params: UsernameParamsSchema,
      response: { 200: UserRef('The user'), ...errorResponses(401, 403, 404) }
    }
  }, async (request) => toUserView(await app.userService.get(request.params.username)))

  app.patch('/users/:username', {
    preHandler: adminChange,
    schema: {
      operationId: 'updateUser',
      tags: ['admin'],
      summary: 'Update a user (disabled, scopes, email, email_verified, full_name, password, mfa); disabling, a new password or an mfa reset revokes every session',
      description: 'A changed email without email_verified is unverified (no mail is sent: the user asks for one with POST /users/me/email/verify). `"mfa": null` resets the user\'s second factor (TOTP and recovery codes): they log in with the password alone and can enrol again.',
      security: adminSecurity,
      params: UsernameParamsSchema,
      body: UserPatchSchema,
      response: { 200: UserRef('The updated user'), ...errorResponses(400, 401, 403, 404) }
    }
  }, async (request) => {
    const { email, full_name: fullName, disabled, scopes, password, email_verified: emailVerified, mfa } = request.body
    const changes = Object.keys(request.body).filter(k => k !== 'mfa')
    let user
    if (changes.length > 0) {
      const updated = await app.userService.update(request.params.username, { email, fullName, disabled, scopes, password, emailVerified }, { ip: request.ip })
      user = updated.user
      request.audit({ event: disabled === true ? 'user.disabled' : 'user.updated', username: user.username, changes, revoked_sessions: updated.revokedSessions })
    } else {
      user = await app.userService.get(request.params.username)
    }
    if (mfa === null) await app.mfa.reset(user, (event) => { request.audit(event) })
    return toUserView(user)
  })

  app.delete('/users/:username', {
    preHandler: adminChange,
    schema: {
      operationId: 'deleteUser',
      tags: ['admin'],
      summary: 'Delete a user and all of their sessions',
      security: adminSecurity,
      params: UsernameParamsSchema,
      response: { 204: NoContent, ...errorResponses(401, 403, 404) }
    }
  }, async (request, reply) => {
    await app.userService.delete(request.params.username)
    request.audit({ event: 'user.deleted', username: request.params.username.normalize('NFKC').toLowerCase() })
    return reply.code(204).send(null)
  })
}

export default routes
