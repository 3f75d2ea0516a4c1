import type { Audit } from '../audit/audit-event.js'
import type { LoginThrottle } from '../auth/login-throttle.js'
import { invalidClient, temporarilyUnavailable, tooManyRequests } from '../errors.js'
import type { OAuthClient } from '../store/client.js'
import type { Store } from '../store/store.js'
import { clientSecretMatches } from './client-secret.js'

/**
 * What a request presented about its client (RFC 6749 §2.3), as the HTTP
 * layer parsed it (plugins/client-auth.ts):
 * - `none`: nothing at all, the anonymous public client;
 * - `id`: a client_id without a secret, which identifies a public client;
 * - a secret, by HTTP Basic or in the form.
 */
export type PresentedClient =
  | { method: 'none' }
  | { method: 'id', clientId: string, basic: boolean }
  | { method: 'client_secret_basic' | 'client_secret_post', clientId: string, secret: string }

export interface ClientAuthenticator {
  /**
   * The registered client the request speaks for; undefined for the anonymous
   * public client. Throws 401 invalid_client for an unknown client, a wrong
   * secret, a disabled client, or a confidential client without its secret;
   * 429 while the client or the IP is locked out.
   */
  authenticate: (presented: PresentedClient, ip: string, audit: Audit) => Promise<OAuthClient | undefined>
}

export const isConfidential = (client: OAuthClient): boolean => client.secretHash !== null

export function createClientAuthenticator (deps: { store: Store, throttle: LoginThrottle }): ClientAuthenticator {
  const { store, throttle } = deps

  async function identify (clientId: string, basic: boolean, audit: Audit): Promise<OAuthClient> {
    const client = await store.clients.findById(clientId)
    if (client === undefined) {
      audit({ event: 'client.auth_failed', client_id: clientId, reason: 'unknown_client' })
      throw invalidClient('Unknown client', basic)
    }
    if (isConfidential(client)) {
      audit({ event: 'client.auth_failed', client_id: clientId, reason: 'no_secret' })
      throw invalidClient('This client must authenticate with its secret', basic)
    }
    if (client.disabled) {
      audit({ event: 'client.auth_failed', client_id: clientId, reason: 'disabled' })
      throw invalidClient('The client is disabled', basic)
    }
    return client
  }

  async function authenticateSecret (clientId: string, secret: string, basic: boolean, ip: string, audit: Audit): Promise<OAuthClient> {
    const attempt = await throttle.beginClient(clientId, ip)
    const { refused } = attempt
    if (refused !== undefined) {
      if (refused.reason === 'capacity') throw temporarilyUnavailable('Client authentication is temporarily unavailable; try again shortly', refused.retryAfterSeconds)
      audit({ event: 'client.auth_failed', client_id: clientId, reason: 'locked_out' })
      throw tooManyRequests(refused.retryAfterSeconds)
    }
    let client: OAuthClient | undefined
    try {
      client = await store.clients.findById(clientId)
    } catch (err) {
      await attempt.abandoned().catch(() => {})
      throw err
    }
    // An unknown or public client is compared too (against zeros): the same work as a wrong secret.
    const matches = clientSecretMatches(secret, client?.secretHash ?? null)
    if (client === undefined || !matches) {
      const lockouts = await attempt.failed()
      audit({ event: 'client.auth_failed', client_id: clientId, reason: client === undefined ? 'unknown_client' : 'bad_secret' })
      for (const scope of lockouts) audit({ event: 'client.locked_out', client_id: clientId, scope })
      throw invalidClient('Client authentication failed', basic)
    }
    await attempt.succeeded()
    if (client.disabled) {
      audit({ event: 'client.auth_failed', client_id: clientId, reason: 'disabled' })
      throw invalidClient('The client is disabled', basic)
    }
    return client
  }

  return {
    async authenticate (presented, ip, audit) {
      switch (presented.method) {
        case 'none': return undefined
        case 'id': return await identify(presented.clientId, presented.basic, audit)
        default: return await authenticateSecret(presented.clientId, presented.secret, presented.method === 'client_secret_basic', ip, audit)
      }
    }
  }
}
