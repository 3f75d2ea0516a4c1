/**
 * A registered OAuth client (RFC 6749 §2) as the store keeps it. Like
 * user.ts, the type lives beside its repository so that src/clients depends
 * on src/store and never the other way round.
 */
export const CLIENT_GRANT_TYPES = ['client_credentials', 'password', 'refresh_token'] as const
export type ClientGrantType = typeof CLIENT_GRANT_TYPES[number]

export interface NewClient {
  /** The client_id: [A-Za-z0-9._~-], chosen by the operator or generated. */
  id: string
  name: string
  /** SHA-256 of the secret (src/clients/client-secret.ts); null for a public client, which has none. */
  secretHash: string | null
  grantTypes: ClientGrantType[]
  /** What the client may ask for: its own scopes (client_credentials) and the most a user's token through it may carry. */
  scopes: string[]
  /** Overrides ACCESS_TOKEN_EXPIRE_MINUTES for tokens issued to this client. */
  accessTokenTtlSeconds: number | null
  disabled: boolean
}

export interface OAuthClient extends NewClient {
  createdAt: number
  updatedAt: number
  secretRotatedAt: number | null
}

/** The columns an update may change (the secret has its own method). */
export interface ClientChanges {
  name?: string
  grantTypes?: ClientGrantType[]
  scopes?: string[]
  accessTokenTtlSeconds?: number | null
  disabled?: boolean
}
