import { Type, type Static } from '@sinclair/typebox'
import { StringEnum } from './string-enum.js'

/** Every `error` value the service answers with: SPEC's list (RFC 6749, 6750 and 9470 codes and the HTTP ones) plus `conflict`. */
export const ERROR_CODES = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'invalid_scope',
  'invalid_token',
  'insufficient_scope',
  'insufficient_user_authentication',
  'mfa_required',
  'unauthorized_client',
  'unsupported_grant_type',
  'unauthorized',
  'access_denied',
  'not_found',
  'conflict',
  'method_not_allowed',
  'payload_too_large',
  'unsupported_media_type',
  'too_many_requests',
  'temporarily_unavailable',
  'server_error'
] as const
export type ErrorCode = typeof ERROR_CODES[number]

/** The one error body, registered once (addSchema) and referenced everywhere. */
export const ErrorResponseSchema = Type.Object({
  error: StringEnum(ERROR_CODES, { description: 'A stable error code (RFC 6749 / RFC 6750 / RFC 9470 codes, plus the HTTP ones)', examples: ['invalid_grant'] }),
  error_description: Type.String({ description: 'A human-readable explanation', examples: ['Incorrect username or password'] }),
  mfa_token: Type.Optional(Type.String({ description: 'Only with `mfa_required` (POST /token): send it back with `grant_type=urn:gatehouse:params:oauth:grant-type:mfa-otp` and a code. Single use, 5 minutes' }))
}, { $id: 'ErrorResponse', additionalProperties: false, description: 'Error' })
type ErrorResponse = Static<typeof ErrorResponseSchema>

const errorRef = (description: string) => Type.Unsafe<ErrorResponse>({ $ref: 'ErrorResponse#', description })

const descriptions: Record<number, string> = {
  400: 'Invalid request (invalid_request, invalid_grant, invalid_scope, unauthorized_client, unsupported_grant_type)',
  401: 'Not authenticated (invalid_client: client authentication failed), or the token is invalid, expired or revoked (see WWW-Authenticate)',
  403: 'Authenticated, but not allowed (insufficient_scope or access_denied); on POST /token, mfa_required with an mfa_token',
  404: 'Not found',
  409: 'Conflict',
  413: 'Request body too large',
  415: 'Unsupported content type',
  431: 'Request headers too large (answered before routing, so any path can get it)',
  429: 'Too many requests (see Retry-After)',
  500: 'Internal error',
  503: 'Temporarily unavailable (see Retry-After)'
}

type ErrorResponses = Record<number, ReturnType<typeof errorRef>>

/** Documented error responses: exactly these statuses. */
export function onlyErrorResponses (...statuses: number[]): ErrorResponses {
  const out: ErrorResponses = {}
  for (const status of [...new Set(statuses)].sort()) out[status] = errorRef(descriptions[status] ?? 'Error')
  return out
}

/** Documented error responses for a route: the given statuses plus the ones every rate-limited route can answer. */
export function errorResponses (...statuses: number[]): ErrorResponses {
  return onlyErrorResponses(...statuses, 429, 500, 503)
}

export const NoContent = Type.Null({ description: 'No content' })
