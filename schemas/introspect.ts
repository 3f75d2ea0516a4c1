import { Type, type Static } from '@sinclair/typebox'
import { StringEnum } from './string-enum.js'
import { TOKEN_TYPE_HINTS } from './token.js'

/** POST /introspect form fields (RFC 7662 §2.1), plus a client's form credentials (client_secret_post). */
export const IntrospectRequestSchema = Type.Object({
  token: Type.Optional(Type.String({ maxLength: 4096, description: 'The access or refresh token to look at' })),
  token_type_hint: Type.Optional(StringEnum(TOKEN_TYPE_HINTS, { description: 'Which kind `token` is; only a hint: the token\'s own shape decides' })),
  client_id: Type.Optional(Type.String({ maxLength: 256, description: 'The calling client (client_secret_post); or use HTTP Basic or a Bearer token' })),
  client_secret: Type.Optional(Type.String({ maxLength: 256, format: 'password' }))
}, { additionalProperties: false })

/** RFC 7662 §2.2. Only `active` for an inactive token; the members below for an active one. */
export const IntrospectResponseSchema = Type.Object({
  active: Type.Boolean({ description: 'Whether the token is valid now: signature, expiry, session, user and client all checked, as on the Bearer path' }),
  scope: Type.Optional(Type.String({ description: 'The token\'s scopes that its user (and client) still hold, space-separated' })),
  client_id: Type.Optional(Type.String({ description: 'The client the token was issued to; absent for the anonymous public client' })),
  username: Type.Optional(Type.String({ description: 'The user (user tokens only)' })),
  token_type: Type.Optional(Type.String({ description: '`Bearer` for access tokens, `refresh_token` for refresh tokens' })),
  exp: Type.Optional(Type.Integer({ description: 'Expiry, seconds since the epoch (a refresh token: when its session ends unless used)' })),
  iat: Type.Optional(Type.Integer({ description: 'Issued at, seconds since the epoch' })),
  sub: Type.Optional(Type.String({ description: 'The username for user tokens, the client id for client tokens' })),
  aud: Type.Optional(Type.String()),
  iss: Type.Optional(Type.String()),
  jti: Type.Optional(Type.String()),
  sid: Type.Optional(Type.String({ description: 'The session (user tokens only)' })),
  auth_time: Type.Optional(Type.Integer({ description: 'When the user last entered the password (user tokens only)' })),
  email_verified: Type.Optional(Type.Boolean({ description: 'Whether the user\'s email address is verified now (access tokens of users with an address only)' })),
  amr: Type.Optional(Type.Array(Type.String(), { description: 'How the user logged in (RFC 8176): `["pwd","otp"]` after a second factor; absent for a password-only login' })),
  acr: Type.Optional(Type.String({ description: 'The level reached (RFC 9470): `urn:gatehouse:acr:mfa` after a second factor' }))
}, { additionalProperties: false, description: 'Token introspection response (RFC 7662)' })
export type IntrospectResponse = Static<typeof IntrospectResponseSchema>
