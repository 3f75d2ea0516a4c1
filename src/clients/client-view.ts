import type { ClientView } from '../../schemas/clients.js'
import type { OAuthClient } from '../store/client.js'

const iso = (ms: number): string => new Date(ms).toISOString()

/** The admin API's view of a client (schemas/clients.ts): never the secret's hash. */
export function toClientView (client: OAuthClient): ClientView {
  return {
    client_id: client.id,
    name: client.name,
    grant_types: client.grantTypes,
    scopes: client.scopes,
    access_token_ttl_seconds: client.accessTokenTtlSeconds,
    disabled: client.disabled,
    public: client.secretHash === null,
    created_at: iso(client.createdAt),
    updated_at: iso(client.updatedAt),
    secret_rotated_at: client.secretRotatedAt === null ? null : iso(client.secretRotatedAt)
  }
}
