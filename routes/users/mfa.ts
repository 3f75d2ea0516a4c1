import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { authOf } from '../../plugins/auth.js'
import { errorResponses, NoContent } from '../../schemas/error.js'
import { MfaStatusSchema, RecoveryCodesSchema, SecondFactorProofSchema, TotpConfirmSchema, TotpEnrolmentSchema } from '../../schemas/mfa.js'

const security = [{ OAuth2PasswordBearer: [] }]
const RECENT_LOGIN = 'Needs a recent password login (REAUTH_MAX_AGE_MINUTES; else 401 insufficient_user_authentication, RFC 9470).'

/** The user's own second factor (TOTP, RFC 6238) and recovery codes. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const steps = [app.authenticate, app.requireRecentLogin]

  app.get('/users/me/mfa', {
    preHandler: [app.authenticate],
    schema: {
      operationId: 'getMfaStatus',
      tags: ['mfa'],
      summary: 'Whether two-factor login is on, and how many recovery codes are left',
      security,
      response: { 200: MfaStatusSchema, ...errorResponses(401) }
    }
  }, async (request) => {
    const status = await app.mfa.status(authOf(request).user.id)
    return { totp: status.totp, recovery_codes_left: status.totp === 'on' ? status.recoveryCodesLeft : null }
  })

  app.post('/users/me/mfa/totp', {
    preHandler: steps,
    schema: {
      operationId: 'startTotpEnrolment',
      tags: ['mfa'],
      summary: 'Start TOTP enrolment: a new secret, its otpauth URI and a QR code',
      description: 'Not active until confirmed with a code (POST /users/me/mfa/totp/confirm); calling it again replaces an unconfirmed secret. ' +
        'Show `qr_svg` to the user (or `secret` to type in). 409 when two-factor login is already on. ' + RECENT_LOGIN,
      security,
      response: { 200: TotpEnrolmentSchema, ...errorResponses(401, 409) }
    }
  }, async (request, reply) => {
    const enrolment = await app.mfa.startEnrolment(authOf(request).user, (event) => { request.audit(event) })
    return reply.header('cache-control', 'no-store').send(enrolment)
  })

  app.post('/users/me/mfa/totp/confirm', {
    preHandler: steps,
    schema: {
      operationId: 'confirmTotpEnrolment',
      tags: ['mfa'],
      summary: 'Turn on two-factor login with a first code; returns the recovery codes (shown once)',
      description: 'A wrong code is 400 invalid_request. Every other session of the user is revoked. ' + RECENT_LOGIN,
      security,
      body: TotpConfirmSchema,
      response: { 200: RecoveryCodesSchema, ...errorResponses(400, 401, 409) }
    }
  }, async (request, reply) => {
    const { user, session } = authOf(request)
    const codes = await app.mfa.confirmEnrolment(user, session.id, request.body.code, (event) => { request.audit(event) })
    return reply.header('cache-control', 'no-store').send({ recovery_codes: codes })
  })

  app.delete('/users/me/mfa/totp', {
    preHandler: steps,
    schema: {
      operationId: 'disableTotp',
      tags: ['mfa'],
      summary: 'Turn off two-factor login with a current code or a recovery code',
      description: 'A wrong code is 403 access_denied and counts as a failed login (429 once locked out). Every other session of the user is revoked. ' + RECENT_LOGIN,
      security,
      body: SecondFactorProofSchema,
      response: { 204: NoContent, ...errorResponses(400, 401, 403, 404) }
    }
  }, async (request, reply) => {
    const { user, session } = authOf(request)
    await app.mfa.disable(user, session.id, { code: request.body.code, recoveryCode: request.body.recovery_code }, request.ip, (event) => { request.audit(event) })
    return reply.code(204).send(null)
  })

  app.post('/users/me/mfa/recovery-codes', {
    preHandler: steps,
    schema: {
      operationId: 'regenerateRecoveryCodes',
      tags: ['mfa'],
      summary: 'New recovery codes; the old ones stop working',
      description: 'Every other session of the user is revoked. 404 when two-factor login is not on. ' + RECENT_LOGIN,
      security,
      response: { 200: RecoveryCodesSchema, ...errorResponses(401, 404) }
    }
  }, async (request, reply) => {
    const { user, session } = authOf(request)
    const codes = await app.mfa.regenerateRecoveryCodes(user, session.id, (event) => { request.audit(event) })
    return reply.header('cache-control', 'no-store').send({ recovery_codes: codes })
  })
}

export default routes
