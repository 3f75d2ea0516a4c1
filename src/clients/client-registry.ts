import { CLIENT_NAME_MAX_LENGTH, CLIENT_SCOPES_MAX, CLIENT_TTL_MAX_SECONDS, CLIENT_TTL_MIN_SECONDS } from '../../schemas/clients.js'
import { conflict, invalidRequest, notFound } from '../errors.js'
import { CLIENT_GRANT_TYPES, type ClientChanges, type ClientGrantType, type OAuthClient } from '../store/client.js'
import { ClientIdTakenError } from '../store/clients-repository.js'
import type { Store } from '../store/store.js'
import { isValidScope, normalizeScopes } from '../users/scopes.js'
import { CLIENT_ID_PATTERN, newClientId, newClientSecret } from './client-secret.js'

export const CLIENT_ID_RULE = '3 to 64 letters, digits and . _ ~ -'

export interface ClientRegistration {
  /** Generated (newClientId) when absent. */
  clientId?: string
  /** Defaults to the client_id. */
  name?: string
  /** Defaults to client_credentials for a confidential client, password and refresh_token for a public one. */
  grantTypes?: string[]
  scopes?: string[]
  accessTokenTtlSeconds?: number | null
  public?: boolean
}

export interface ClientPatch {
  name?: string
  grantTypes?: string[]
  scopes?: string[]
  accessTokenTtlSeconds?: number | null
  disabled?: boolean
}

export interface ClientRegistry {
  /** The secret (undefined for a public client) is returned here and never again. */
  register: (input: ClientRegistration) => Promise<{ client: OAuthClient, secret: string | undefined }>
  get: (clientId: string) => Promise<OAuthClient>
  list: (options: { after?: string, limit: number }) => Promise<{ clients: OAuthClient[], nextCursor: string | null }>
  /** Disabling revokes every session opened through the client (the repository does it in the same transaction). */
  update: (clientId: string, patch: ClientPatch) => Promise<OAuthClient>
  /** Deletes the client and, by cascade, its sessions. */
  delete: (clientId: string) => Promise<void>
  /** A new secret, returned once; the old one stops working at once. A public client has none to rotate. */
  rotateSecret: (clientId: string) => Promise<{ client: OAuthClient, secret: string }>
}

const DEFAULT_GRANTS: Record<'public' | 'confidential', ClientGrantType[]> = {
  confidential: ['client_credentials'],
  public: ['password', 'refresh_token']
}

function checkName (name: string): string {
  // The API's schema checks these too; the CLI's arrive unchecked.
  // eslint-disable-next-line no-control-regex
  if (name.length === 0 || name.length > CLIENT_NAME_MAX_LENGTH || /[\x00-\x1f\x7f]/.test(name)) {
    throw invalidRequest(`Invalid client name: 1 to ${CLIENT_NAME_MAX_LENGTH} characters, no control characters`)
  }
  return name
}

function checkGrantTypes (grantTypes: readonly string[]): ClientGrantType[] {
  const unknown = grantTypes.filter(g => !(CLIENT_GRANT_TYPES as readonly string[]).includes(g))
  if (unknown.length > 0) throw invalidRequest(`Unknown grant type: ${unknown.join(', ')} (use ${CLIENT_GRANT_TYPES.join(', ')})`)
  if (grantTypes.length === 0) throw invalidRequest('A client needs at least one grant type')
  // In the one canonical order, without duplicates.
  return CLIENT_GRANT_TYPES.filter(g => grantTypes.includes(g))
}

function checkScopes (scopes: readonly string[]): string[] {
  const bad = scopes.filter(s => !isValidScope(s))
  if (bad.length > 0) throw invalidRequest(`Invalid scope name: ${bad.join(', ')}`)
  const normalized = normalizeScopes(scopes)
  if (normalized.length > CLIENT_SCOPES_MAX) throw invalidRequest(`A client may hold at most ${CLIENT_SCOPES_MAX} scopes`)
  return normalized
}

function checkTtl (seconds: number | null): number | null {
  if (seconds === null) return null
  if (!Number.isInteger(seconds) || seconds < CLIENT_TTL_MIN_SECONDS || seconds > CLIENT_TTL_MAX_SECONDS) {
    throw invalidRequest(`Invalid access-token lifetime: a whole number of seconds from ${CLIENT_TTL_MIN_SECONDS} to ${CLIENT_TTL_MAX_SECONDS}, or null for the default`)
  }
  return seconds
}

/** RFC 6749 §4.4: only a client that can authenticate may use the client-credentials grant. */
function checkGrantFitsClient (grantTypes: readonly ClientGrantType[], isPublic: boolean): void {
  if (isPublic && grantTypes.includes('client_credentials')) {
    throw invalidRequest('A public client cannot use client_credentials: that grant needs a confidential client (RFC 6749 section 4.4)')
  }
}

/** The admin API's and the CLI's one set of rules for registered OAuth clients. */
export function createClientRegistry (deps: { store: Store }): ClientRegistry {
  const { clients } = deps.store

  async function get (clientId: string): Promise<OAuthClient> {
    const client = await clients.findById(clientId)
    if (client === undefined) throw notFound('No such client')
    return client
  }

  return {
    async register (input) {
      const clientId = input.clientId ?? newClientId()
      if (!CLIENT_ID_PATTERN.test(clientId)) throw invalidRequest(`Invalid client_id: use ${CLIENT_ID_RULE}`)
      const isPublic = input.public === true
      const grantTypes = checkGrantTypes(input.grantTypes ?? DEFAULT_GRANTS[isPublic ? 'public' : 'confidential'])
      checkGrantFitsClient(grantTypes, isPublic)
      const name = checkName(input.name ?? clientId)
      const scopes = checkScopes(input.scopes ?? [])
      const accessTokenTtlSeconds = checkTtl(input.accessTokenTtlSeconds ?? null)
      if (await clients.findById(clientId) !== undefined) throw conflict('client_id is already taken')
      const secret = isPublic ? undefined : newClientSecret()
      try {
        const client = await clients.create({
          id: clientId, name, secretHash: secret?.hash ?? null, grantTypes, scopes, accessTokenTtlSeconds, disabled: false
        })
        return { client, secret: secret?.secret }
      } catch (err) {
        if (err instanceof ClientIdTakenError) throw conflict('client_id is already taken')
        throw err
      }
    },

    get,

    async list ({ after, limit }) {
      const found = await clients.list({ after, limit: limit + 1 })
      const page = found.slice(0, limit)
      const last = page[page.length - 1]
      return { clients: page, nextCursor: found.length > limit && last !== undefined ? last.id : null }
    },

    async update (clientId, patch) {
      const current = await get(clientId)
      const changes: ClientChanges = {}
      if (patch.name !== undefined) changes.name = checkName(patch.name)
      if (patch.grantTypes !== undefined) changes.grantTypes = checkGrantTypes(patch.grantTypes)
      if (patch.scopes !== undefined) changes.scopes = checkScopes(patch.scopes)
      if (patch.accessTokenTtlSeconds !== undefined) changes.accessTokenTtlSeconds = checkTtl(patch.accessTokenTtlSeconds)
      if (patch.disabled !== undefined) changes.disabled = patch.disabled
      checkGrantFitsClient(changes.grantTypes ?? current.grantTypes, current.secretHash === null)
      const updated = await clients.update(clientId, changes)
      if (updated === undefined) throw notFound('No such client')
      return updated
    },

    async delete (clientId) {
      if (!await clients.delete(clientId)) throw notFound('No such client')
    },

    async rotateSecret (clientId) {
      const current = await get(clientId)
      // Refused rather than turning the client confidential: a public client (a browser or
      // native app) cannot keep a secret, and a secret would lock its users out at once.
      if (current.secretHash === null) throw invalidRequest('A public client has no secret to rotate')
      const secret = newClientSecret()
      const client = await clients.setSecretHash(clientId, secret.hash)
      if (client === undefined) throw notFound('No such client')
      return { client, secret: secret.secret }
    }
  }
}
