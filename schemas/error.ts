import { Type, type Static } from '@sinclair/typebox'

/** The one error body, registered once (addSchema) and referenced everywhere. */
export const ErrorResponseSchema = Type.Object({
  error: Type.String({ description: 'A stable error code (RFC 6749 / RFC 6750 codes, plus not_found, conflict, …)', examples: ['invalid_grant'] }),
  error_description: Type.String({ description: 'A human-readable explanation', examples: ['Incorrect username or password'] })
}, { $id: 'ErrorResponse', additionalProperties: false, description: 'Error' })
type ErrorResponse = Static<typeof ErrorResponseSchema>

const errorRef = (description: string) => Type.Unsafe<ErrorResponse>({ $ref: 'ErrorResponse#', description })

const descriptions: Record<number, string> = {
  400: 'Invalid request (invalid_request, invalid_grant, invalid_scope, unsupported_grant_type)',
  401: 'Not authenticated, or the token is invalid, expired or revoked (see WWW-Authenticate)',
  403: 'Authenticated, but not allowed (insufficient_scope or access_denied)',
  404: 'Not found',
  409: 'Conflict',
  413: 'Request body too large',
  415: 'Unsupported content type',
  429: 'Too many requests (see Retry-After)',
  500: 'Internal error',
  503: 'Temporarily unavailable (see Retry-After)'
}

/** Documented error responses for a route: the given statuses plus the ones every route can answer. */
export function errorResponses (...statuses: number[]): Record<number, ReturnType<typeof errorRef>> {
  const all = new Set([...statuses, 429, 500, 503])
  const out: Record<number, ReturnType<typeof errorRef>> = {}
  for (const status of [...all].sort()) out[status] = errorRef(descriptions[status] ?? 'Error')
  return out
}

export const NoContent = Type.Null({ description: 'No content' })
