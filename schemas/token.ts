import { Type, type Static } from '@sinclair/typebox'
import { StringEnum } from './string-enum.js'

export const GRANT_TYPES = ['password', 'refresh_token'] as const
/** RFC 7009 §2.1 (the OAuth Token Type Hints registry): the token types we can revoke. */
export const TOKEN_TYPE_HINTS = ['access_token', 'refresh_token'] as const

/**
 * POST /token form fields (RFC 6749 §4.3 and §6). One schema for both grants:
 * which fields are required depends on grant_type, and the route says which
 * one is missing. client_id/client_secret are accepted (and ignored) because
 * standard OAuth2 clients and Swagger UI may send them empty.
 */
export const TokenRequestSchema = Type.Object({
  grant_type: Type.Optional(StringEnum(GRANT_TYPES, { description: '`password` (the default when absent) or `refresh_token`; any other is 400 `unsupported_grant_type`' })),
  username: Type.Optional(Type.String({ maxLength: 256 })),
  password: Type.Optional(Type.String({ maxLength: 1024, format: 'password' })),
  scope: Type.Optional(Type.String({ maxLength: 2000, description: 'Space-separated scopes; defaults to all of the user\'s scopes' })),
  refresh_token: Type.Optional(Type.String({ maxLength: 512 })),
  client_id: Type.Optional(Type.String({ maxLength: 256 })),
  client_secret: Type.Optional(Type.String({ maxLength: 256, format: 'password' }))
}, { additionalProperties: false })
export type TokenRequest = Static<typeof TokenRequestSchema>

export const TokenResponseSchema = Type.Object({
  access_token: Type.String({ description: 'A JWT (RFC 9068) to send as `Authorization: Bearer …`' }),
  token_type: Type.Literal('bearer'),
  expires_in: Type.Integer({ description: 'Access-token lifetime in seconds' }),
  refresh_token: Type.String({ description: 'Opaque, single use: every refresh returns a new one' }),
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
