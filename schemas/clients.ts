import { Type, type Static } from '@sinclair/typebox'
import { StringEnum } from './string-enum.js'
import { ScopeSchema } from './users.js'

/** Bounds of a client's access-token lifetime override: a minute (less is lost to clock skew) to a day. */
export const CLIENT_TTL_MIN_SECONDS = 60
export const CLIENT_TTL_MAX_SECONDS = 86_400
export const CLIENT_NAME_MAX_LENGTH = 200
export const CLIENT_SCOPES_MAX = 50

// src/store/client.ts CLIENT_GRANT_TYPES and src/clients/client-secret.ts CLIENT_ID_PATTERN, restated because
// schemas/ imports no code of ours; test/clients/client-registry.test.ts keeps them equal.
const GRANT_TYPES = ['client_credentials', 'password', 'refresh_token'] as const
export const CLIENT_ID_SCHEMA_PATTERN = '^[A-Za-z0-9._~-]{3,64}$'

const ClientId = Type.String({ pattern: CLIENT_ID_SCHEMA_PATTERN, description: '3 to 64 letters, digits and . _ ~ -' })
const Name = Type.String({ minLength: 1, maxLength: CLIENT_NAME_MAX_LENGTH, pattern: '^[^\\x00-\\x1F\\x7F]+$' })
const GrantTypes = Type.Array(StringEnum(GRANT_TYPES), {
  minItems: 1, uniqueItems: true, description: 'client_credentials needs a confidential client (RFC 6749 §4.4)'
})
const Scopes = Type.Array(ScopeSchema, {
  maxItems: CLIENT_SCOPES_MAX, uniqueItems: true, description: 'The scopes the client may ask for: its own (client_credentials), and the most a user\'s token through it may carry'
})
const Ttl = Type.Union([Type.Integer({ minimum: CLIENT_TTL_MIN_SECONDS, maximum: CLIENT_TTL_MAX_SECONDS }), Type.Null()], {
  description: `Access-token lifetime for this client in seconds (${CLIENT_TTL_MIN_SECONDS} to ${CLIENT_TTL_MAX_SECONDS}); null for ACCESS_TOKEN_EXPIRE_MINUTES`
})
const Timestamp = Type.String({ format: 'date-time' })

const clientProperties = {
  client_id: Type.String(),
  name: Type.String(),
  grant_types: Type.Array(StringEnum(GRANT_TYPES)),
  scopes: Type.Array(Type.String()),
  access_token_ttl_seconds: Type.Union([Type.Integer(), Type.Null()], { description: 'null: the configured default (ACCESS_TOKEN_EXPIRE_MINUTES)' }),
  disabled: Type.Boolean(),
  public: Type.Boolean({ description: 'A public client has no secret (RFC 6749 §2.1)' }),
  created_at: Timestamp,
  updated_at: Timestamp,
  secret_rotated_at: Type.Union([Timestamp, Type.Null()], { description: 'When the secret was last replaced; null if never' })
}

/** A registered OAuth client as the admin API shows it: never its secret or the secret's hash. */
export const ClientSchema = Type.Object(clientProperties, { $id: 'Client', additionalProperties: false, description: 'A registered OAuth client' })
export type ClientView = Static<typeof ClientSchema>

export const ClientRef = (description: string) => Type.Unsafe<ClientView>({ $ref: 'Client#', description })

/** POST /clients: the client and, for a confidential one, its secret, shown this once. */
export const NewClientSchema = Type.Object({
  ...clientProperties,
  client_secret: Type.Optional(Type.String({ description: 'Shown this once: store it now. Absent for a public client' }))
}, { additionalProperties: false, description: 'The registered client and its secret' })

export const ClientRegistrationSchema = Type.Object({
  client_id: Type.Optional({ ...ClientId, description: `${ClientId.description ?? ''}; generated when absent` }),
  name: Type.Optional({ ...Name, description: 'Defaults to the client_id' }),
  grant_types: Type.Optional({ ...GrantTypes, description: 'Defaults to [client_credentials], or [password, refresh_token] for a public client. client_credentials needs a confidential client (RFC 6749 §4.4)' }),
  scopes: Type.Optional(Scopes),
  access_token_ttl_seconds: Type.Optional(Ttl),
  public: Type.Optional(Type.Boolean({ description: 'A public client gets no secret and cannot use client_credentials; default false' }))
}, { additionalProperties: false })

export const ClientPatchSchema = Type.Object({
  name: Type.Optional(Name),
  grant_types: Type.Optional(GrantTypes),
  scopes: Type.Optional(Scopes),
  access_token_ttl_seconds: Type.Optional(Ttl),
  disabled: Type.Optional(Type.Boolean({ description: 'Disabling revokes every session opened through the client' }))
}, { additionalProperties: false, minProperties: 1 })

export const ClientIdParamsSchema = Type.Object({ client_id: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false })

export const ClientListQuerySchema = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  after: Type.Optional(Type.String({ maxLength: 256, description: 'The `next_cursor` of the previous page' }))
}, { additionalProperties: false })

export const ClientListSchema = Type.Object({
  clients: Type.Array(ClientRef('A client')),
  next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `after` for the next page; null on the last page' })
}, { additionalProperties: false, description: 'A page of clients, ordered by client_id' })

export const ClientSecretSchema = Type.Object({
  client_id: Type.String(),
  client_secret: Type.String({ description: 'Shown this once: store it now. The previous secret no longer works' })
}, { additionalProperties: false, description: 'The client\'s new secret' })
