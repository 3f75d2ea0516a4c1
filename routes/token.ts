import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import formOnly from '../plugins/form-only.js'
import { errorResponses } from '../schemas/error.js'
import { MFA_OTP_GRANT, RevokeRequestSchema, RevokeResponseSchema, TokenRequestSchema, TokenResponseSchema } from '../schemas/token.js'
import type { Audit } from '../src/audit/audit-event.js'
import { isConfidential } from '../src/clients/client-authentication.js'
import { invalidClient, invalidRequest, ServiceError, unauthorizedClient } from '../src/errors.js'
import type { OAuthClient } from '../src/store/client.js'
import { AccessTokenError, type VerifiedClaims } from '../src/tokens/access-tokens.js'

/**
 * RFC 6749 §5.2: a grant type we do not issue is `unsupported_grant_type`,
 * not the `invalid_request` of every other validation failure. The schema's
 * enum is what refuses it, so /token looks at its validation error itself.
 */
function tokenRequestRefusal (err: Error & { validation: Array<{ instancePath?: string, keyword?: string }> }): Error {
  const first = err.validation[0]
  if (first?.instancePath === '/grant_type' && first.keyword === 'enum') {
    return new ServiceError('unsupported_grant_type', 400, `Unsupported grant_type: use password, refresh_token, client_credentials or ${MFA_OTP_GRANT}`)
  }
  return err
}

/** The claims of `token` when it is a valid access token of ours; RFC 7009 answers the same either way. */
function accessClaimsOf (verify: (token: string) => Readonly<VerifiedClaims>, token: string): Readonly<VerifiedClaims> | undefined {
  try {
    return verify(token)
  } catch (err) {
    if (err instanceof AccessTokenError) return undefined
    throw err
  }
}

/** What the anonymous public client (no client_id at all) may use: today's grants. */
const ANONYMOUS_GRANTS: readonly string[] = ['password', 'refresh_token']

/**
 * RFC 6749 §5.2 unauthorized_client: the grant is not among the client's; client_credentials only for a confidential client.
 * The mfa-otp grant finishes a password login, so it is allowed wherever the password grant is.
 */
function checkGrantAllowed (requested: string, client: OAuthClient | undefined): void {
  const grantType = requested === MFA_OTP_GRANT ? 'password' : requested
  if (client === undefined) {
    if (!ANONYMOUS_GRANTS.includes(grantType)) throw invalidClient('client_credentials needs client authentication: HTTP Basic or client_id and client_secret', true)
    return
  }
  const allowed: readonly string[] = client.grantTypes
  if (!allowed.includes(grantType) || (grantType === 'client_credentials' && !isConfidential(client))) {
    throw unauthorizedClient(`This client may not use the ${grantType} grant`)
  }
}

/** Authorization: Basic (client_secret_basic) and the OAuth2 client-credentials flow, as named in plugins/swagger.ts. */
const CLIENT_SECURITY: Array<Record<string, string[]>> = [{}, { clientBasic: [] }]

const routes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(formOnly)
  const cookie = app.refreshCookie

  app.post('/token', {
    onRequest: cookie.refuseCrossSite,
    attachValidation: true,
    schema: {
      operationId: 'login',
      security: CLIENT_SECURITY,
      tags: ['auth'],
      summary: 'Get tokens: password, refresh, client-credentials or mfa-otp grant (RFC 6749 §4.3, §6, §4.4)',
      description: 'Form-encoded. A missing grant_type means `password`. Every refresh returns a new refresh token; presenting a used one revokes the whole session. ' +
        'A registered client authenticates with HTTP Basic or client_id/client_secret in the form (a public client sends only client_id); without any, the request is the anonymous public client, which may use password and refresh_token. ' +
        '`client_credentials` (confidential clients only) returns an access token for the client itself and no refresh token. ' +
        'Client authentication failures are 401 `invalid_client` (with `WWW-Authenticate: Basic` when Basic was used); a grant the client may not use is 400 `unauthorized_client`. ' +
        'For a user with two-factor login, the right password answers 403 `mfa_required` with an `mfa_token` (single use, 5 minutes, at most 5 codes tried); ' +
        `then \`grant_type=${MFA_OTP_GRANT}\` with \`mfa_token\` and \`otp\` (or \`recovery_code\`) returns the tokens, whose access token carries \`amr: ["pwd","otp"]\` and \`acr\`. ` +
        'A wrong code is 400 `invalid_grant` and counts toward the user\'s lockout like a wrong password.',
      consumes: ['application/x-www-form-urlencoded'],
      body: TokenRequestSchema,
      response: { 200: TokenResponseSchema, ...errorResponses(400, 401, 403, 415) }
    }
  }, async (request, reply) => {
    if (request.validationError !== undefined) throw tokenRequestRefusal(request.validationError)
    const body = request.body
    const grantType = body.grant_type ?? 'password'
    const log: Audit = (event) => { request.audit(event) }
    const client = await app.authenticateClient(request)
    checkGrantAllowed(grantType, client)
    if (grantType === 'client_credentials') {
      const tokens = app.authService.clientCredentialsGrant({ scope: body.scope }, client as OAuthClient, log)
      return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(tokens)
    }
    let tokens
    if (grantType === 'password') {
      if (body.username === undefined || body.username === '') throw invalidRequest('Missing parameter: username')
      if (body.password === undefined) throw invalidRequest('Missing parameter: password')
      tokens = await app.authService.passwordGrant(
        { username: body.username, password: body.password, scope: body.scope },
        { ip: request.ip, userAgent: request.headers['user-agent'] ?? null },
        log,
        client
      )
    } else if (grantType === MFA_OTP_GRANT) {
      if (body.mfa_token === undefined || body.mfa_token === '') throw invalidRequest('Missing parameter: mfa_token')
      tokens = await app.authService.mfaGrant(
        { mfaToken: body.mfa_token, code: body.otp, recoveryCode: body.recovery_code },
        { ip: request.ip, userAgent: request.headers['user-agent'] ?? null },
        log,
        client
      )
    } else {
      // refresh_token: the schema's enum lets nothing else through.
      const presented = body.refresh_token ?? cookie.read(request)
      if (presented === undefined || presented === '') throw invalidRequest('Missing parameter: refresh_token')
      tokens = await app.authService.refreshGrant({ refreshToken: presented, scope: body.scope }, log, client)
    }
    if (tokens.refresh_token !== undefined) cookie.set(request, reply, tokens.refresh_token)
    return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(tokens)
  })

  app.post('/revoke', {
    onRequest: cookie.refuseCrossSite,
    schema: {
      operationId: 'revokeToken',
      security: CLIENT_SECURITY,
      tags: ['auth'],
      summary: 'Revoke a refresh or access token and its session (RFC 7009)',
      description: 'Answers 200 with an empty JSON object for any well-formed request, whether or not the token was known. ' +
        'Client credentials are optional; when presented (HTTP Basic or the form) they must be valid, else 401 `invalid_client`.',
      consumes: ['application/x-www-form-urlencoded'],
      body: RevokeRequestSchema,
      response: { 200: RevokeResponseSchema, ...errorResponses(400, 401, 403, 415) }
    }
  }, async (request, reply) => {
    await app.authenticateClient(request)
    const token = request.body.token
    if (token === undefined || token === '') throw invalidRequest('Missing parameter: token')
    const revoked = await app.authService.revokeToken(token, request.body.token_type_hint, accessClaimsOf(app.accessTokens.verify, token))
    if (revoked !== undefined) request.audit({ event: 'session.revoked', via: 'revoke', username: revoked.username, session_id: revoked.sessionId })
    cookie.clear(request, reply)
    // RFC 7009 §2.2: clients ignore the body; an empty JSON object (rather than
    // no body) suits clients that send Accept: application/json and insist on it (simple-oauth2).
    return reply.header('cache-control', 'no-store').code(200).send({})
  })
}

export default routes
