import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { preHandlerAsyncHookHandler } from 'fastify'
import { errorResponses, NoContent } from '../../schemas/error.js'
import {
  RegistrationSchema, UserListQuerySchema, UserListSchema, UsernameParamsSchema, UserPatchSchema, UserRef
} from '../../schemas/users.js'
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
      description: `Open to anyone when SIGNUP_ENABLED=true; otherwise needs scope ${ADMIN_SCOPE} and a recent login. Scopes are set by admins (PATCH).`,
      security: [{}, ...adminSecurity],
      body: RegistrationSchema,
      response: { 201: UserRef('The new user'), ...errorResponses(400, 401, 403, 409) }
    }
  }, async (request, reply) => {
    const user = await app.userService.register({
      username: request.body.username,
      password: request.body.password,
      email: request.body.email ?? null,
      fullName: request.body.full_name ?? null
    }, { ip: request.ip })
    request.audit({ event: 'user.created', username: user.username })
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
      summary: 'Update a user (disabled, scopes, email, full_name, password, mfa); disabling, a new password or an mfa reset revokes every session',
      description: '`"mfa": null` resets the user\'s second factor (TOTP and recovery codes): they log in with the password alone and can enrol again.',
      security: adminSecurity,
      params: UsernameParamsSchema,
      body: UserPatchSchema,
      response: { 200: UserRef('The updated user'), ...errorResponses(400, 401, 403, 404) }
    }
  }, async (request) => {
    const { email, full_name: fullName, disabled, scopes, password, mfa } = request.body
    const changes = Object.keys(request.body).filter(k => k !== 'mfa')
    let user
    if (changes.length > 0) {
      const updated = await app.userService.update(request.params.username, { email, fullName, disabled, scopes, password }, { ip: request.ip })
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
