import { Type, type Static } from '@sinclair/typebox'
import { StringEnum } from './string-enum.js'

/** The second step of a password login that answered mfa_required (a grant type of our own, RFC 6749 §4.5). */
export const MFA_OTP_GRANT = 'urn:gatehouse:params:oauth:grant-type:mfa-otp'
export const GRANT_TYPES = ['password', 'refresh_token', 'client_credentials', MFA_OTP_GRANT] as const
/** RFC 7009 §2.1 (the OAuth Token Type Hints registry): the token types we can revoke. */
export const TOKEN_TYPE_HINTS = ['access_token', 'refresh_token'] as const

/**
 * POST /token form fields (RFC 6749 §4.3, §4.4 and §6). One schema for all
 * grants: which fields are required depends on grant_type, and the route says
 * which one is missing. client_id/client_secret authenticate a registered
 * client (client_secret_post); empty ones count as absent, because standard
 * OAuth2 clients and Swagger UI may send them empty.
 */
export const TokenRequestSchema = Type.Object({
  grant_type: Type.Optional(StringEnum(GRANT_TYPES, { description: '`password` (the default when absent), `refresh_token`, `client_credentials`, or `' + MFA_OTP_GRANT + '` (after a 403 `mfa_required`); any other is 400 `unsupported_grant_type`' })),
  username: Type.Optional(Type.String({ maxLength: 256 })),
  password: Type.Optional(Type.String({ maxLength: 1024, format: 'password' })),
  scope: Type.Optional(Type.String({ maxLength: 2000, description: 'Space-separated scopes; defaults to all of the user\'s (client_credentials: the client\'s) scopes' })),
  refresh_token: Type.Optional(Type.String({ maxLength: 512 })),
  mfa_token: Type.Optional(Type.String({ maxLength: 256, description: 'The mfa-otp grant: the `mfa_token` of the 403 `mfa_required` answer' })),
  otp: Type.Optional(Type.String({ maxLength: 16, description: 'The mfa-otp grant: the current 6-digit code of the authenticator app' })),
  recovery_code: Type.Optional(Type.String({ maxLength: 64, description: 'The mfa-otp grant: a recovery code instead of `otp` (each works once)' })),
  client_id: Type.Optional(Type.String({ maxLength: 256, description: 'A registered client\'s id (RFC 6749 §2.3.1); or use HTTP Basic' })),
  client_secret: Type.Optional(Type.String({ maxLength: 256, format: 'password', description: 'The client\'s secret (client_secret_post); or use HTTP Basic' }))
}, { additionalProperties: false })
export type TokenRequest = Static<typeof TokenRequestSchema>

export const TokenResponseSchema = Type.Object({
  access_token: Type.String({ description: 'A JWT (RFC 9068) to send as `Authorization: Bearer …`' }),
  token_type: Type.Literal('bearer'),
  expires_in: Type.Integer({ description: 'Access-token lifetime in seconds' }),
  refresh_token: Type.Optional(Type.String({ description: 'Opaque, single use: every refresh returns a new one. Absent for client_credentials (RFC 6749 §4.4.3)' })),
  scope: Type.String({ description: 'The granted scopes, space-separated' })
}, { additionalProperties: false, description: 'Tokens issued' })
/** RFC 6749 §5.1 successful token response. */
export type TokenResponse = Static<typeof TokenResponseSchema>

export const RevokeRequestSchema = Type.Object({
  token: Type.Optional(Type.String({ maxLength: 4096 })),
  token_type_hint: Type.Optional(StringEnum(TOKEN_TYPE_HINTS, { description: 'Which kind `token` is; only speeds up the lookup: the other kind is tried too' })),
  client_id: Type.Optional(Type.String({ maxLength: 256 })),
  client_secret: Type.Optional(Type.String({ maxLength: 256, format: 'password' }))
}, { additionalProperties: false })

export const RevokeResponseSchema = Type.Object({}, { additionalProperties: false, description: 'Revoked, or nothing to revoke (RFC 7009: the body carries nothing)' })
