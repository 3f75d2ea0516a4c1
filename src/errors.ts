import type { ErrorCode } from '../schemas/error.js'

// The codes are listed in schemas/error.ts, where the OpenAPI document's enum comes from.
export type { ErrorCode }

/**
 * Domain errors carry the OAuth-style error code and the HTTP status that the
 * one error handler renders as `{ error, error_description }`. They hold no
 * Fastify types so the domain stays free of HTTP plumbing.
 */
export class ServiceError extends Error {
  readonly code: ErrorCode
  readonly statusCode: number
  readonly headers: Record<string, string>
  /** Members of the body besides error and error_description (mfa_token). */
  readonly fields: Record<string, string>

  constructor (code: ErrorCode, statusCode: number, description: string, headers: Record<string, string> = {}, fields: Record<string, string> = {}) {
    super(description)
    this.name = 'ServiceError'
    this.code = code
    this.statusCode = statusCode
    this.headers = headers
    this.fields = fields
  }
}

/** Quote a value for an RFC 7235 auth-param (quoted-string). */
function quoteParam (value: string): string {
  return '"' + value.replace(/[\\"]/g, '\\$&').replace(/[\r\n]/g, ' ') + '"'
}

export const invalidRequest = (description: string): ServiceError =>
  new ServiceError('invalid_request', 400, description)

export const invalidGrant = (description: string): ServiceError =>
  new ServiceError('invalid_grant', 400, description)

export const invalidScope = (description: string): ServiceError =>
  new ServiceError('invalid_scope', 400, description)

/**
 * RFC 6749 §5.2: the client failed to authenticate. 401, and when the client
 * used HTTP Basic, the WWW-Authenticate challenge of the scheme it used.
 */
export const invalidClient = (description: string, basic: boolean): ServiceError =>
  new ServiceError('invalid_client', 401, description, basic ? { 'www-authenticate': 'Basic realm="gatehouse"' } : {})

export const unauthorizedClient = (description: string): ServiceError =>
  new ServiceError('unauthorized_client', 400, description)

export const badCredentials = (): ServiceError =>
  new ServiceError('invalid_grant', 401, 'Incorrect username or password', { 'www-authenticate': 'Bearer' })

export const missingCredentials = (): ServiceError =>
  new ServiceError('unauthorized', 401, 'Not authenticated', { 'www-authenticate': 'Bearer' })

export const invalidToken = (description: string): ServiceError =>
  new ServiceError('invalid_token', 401, description, {
    'www-authenticate': `Bearer error="invalid_token", error_description=${quoteParam(description)}`
  })

export const insufficientScope = (required: readonly string[]): ServiceError =>
  new ServiceError('insufficient_scope', 403, `This request needs the scope: ${required.join(' ')}`, {
    'www-authenticate': `Bearer error="insufficient_scope", scope=${quoteParam(required.join(' '))}`
  })

export const insufficientUserAuthentication = (maxAgeSeconds: number): ServiceError =>
  new ServiceError('insufficient_user_authentication', 401,
    'A more recent authentication is required: log in again with your password', {
      'www-authenticate': `Bearer error="insufficient_user_authentication", error_description="A more recent authentication is required", max_age=${maxAgeSeconds}`
    })

/** RFC 9470: the route needs a login with a second factor; `acr_values` names the level. */
export const secondFactorRequired = (acr: string): ServiceError =>
  new ServiceError('insufficient_user_authentication', 401,
    'This request needs a login with a second factor: log in with your password and a one-time code', {
      'www-authenticate': `Bearer error="insufficient_user_authentication", error_description="A login with a second factor is required", acr_values=${quoteParam(acr)}`
    })

/** The password was right; the login goes on with the second factor (the mfa-otp grant and this token). */
export const mfaRequired = (mfaToken: string): ServiceError =>
  new ServiceError('mfa_required', 403, 'A second factor is required: send a one-time code with this mfa_token', {}, { mfa_token: mfaToken })

export const accessDenied = (description: string): ServiceError =>
  new ServiceError('access_denied', 403, description)

export const notFound = (description: string): ServiceError =>
  new ServiceError('not_found', 404, description)

export const conflict = (description: string): ServiceError =>
  new ServiceError('conflict', 409, description)

export const tooManyRequests = (retryAfterSeconds: number, description = 'Too many failed attempts, try again later'): ServiceError =>
  new ServiceError('too_many_requests', 429, description, { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) })

export const temporarilyUnavailable = (description: string, retryAfterSeconds = 1): ServiceError =>
  new ServiceError('temporarily_unavailable', 503, description, { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) })
