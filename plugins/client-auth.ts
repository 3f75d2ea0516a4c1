import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { createClientAuthenticator, type PresentedClient } from '../src/clients/client-authentication.js'
import { invalidClient, invalidRequest } from '../src/errors.js'
import type { OAuthClient } from '../src/store/client.js'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * RFC 6749 §2.3: the registered client the request authenticates as (or,
     * without a secret, identifies as a public client); undefined when it
     * presents no client at all (the anonymous public client). Throws 401
     * invalid_client, 400 invalid_request (two methods at once) or 429.
     */
    authenticateClient: (request: FastifyRequest) => Promise<OAuthClient | undefined>
  }
}

const BASIC = /^Basic +([A-Za-z0-9+/]+=*) *$/i

/** RFC 6749 §2.3.1: both parts of the Basic credentials are form-urlencoded. */
function formDecode (value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '))
  } catch {
    return undefined
  }
}

/** undefined for `Basic Og==` (an empty id and secret): Swagger UI's password flow sends that when its client fields are empty. */
function fromBasic (header: string): Exclude<PresentedClient, { method: 'none' }> | undefined {
  const match = BASIC.exec(header)
  if (match === null) throw invalidClient('Malformed HTTP Basic credentials', true)
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8')
  if (decoded === ':') return undefined
  const colon = decoded.indexOf(':')
  const clientId = colon < 0 ? undefined : formDecode(decoded.slice(0, colon))
  const secret = colon < 0 ? undefined : formDecode(decoded.slice(colon + 1))
  if (clientId === undefined || secret === undefined || clientId === '') throw invalidClient('Malformed HTTP Basic credentials', true)
  return secret === '' ? { method: 'id', clientId, basic: true } : { method: 'client_secret_basic', clientId, secret }
}

/** What the request presents: HTTP Basic, or client_id/client_secret in the form (empty ones count as absent). */
export function presentedClient (request: FastifyRequest): PresentedClient {
  const body = (request.body ?? {}) as { client_id?: unknown, client_secret?: unknown }
  const formId = typeof body.client_id === 'string' && body.client_id !== '' ? body.client_id : undefined
  const formSecret = typeof body.client_secret === 'string' && body.client_secret !== '' ? body.client_secret : undefined
  const header = request.headers.authorization
  const basic = header !== undefined && /^Basic(?: |$)/i.test(header) ? fromBasic(header) : undefined
  if (basic !== undefined) {
    // A client_id in the form that repeats the Basic one is harmless (some libraries send both); anything else is two methods.
    if (formSecret !== undefined || (formId !== undefined && formId !== basic.clientId)) {
      throw invalidRequest('Use one client authentication method: HTTP Basic or client_id/client_secret in the form, not both')
    }
    return basic
  }
  if (formId === undefined) {
    if (formSecret !== undefined) throw invalidRequest('client_secret without client_id')
    return { method: 'none' }
  }
  return formSecret === undefined ? { method: 'id', clientId: formId, basic: false } : { method: 'client_secret_post', clientId: formId, secret: formSecret }
}

export default fp(async (app) => {
  const authenticator = createClientAuthenticator({ store: app.store, throttle: app.loginThrottle })
  app.decorate('authenticateClient', async function authenticateClient (request: FastifyRequest) {
    return await authenticator.authenticate(presentedClient(request), request.ip, (event) => { request.audit(event) })
  })
}, { name: 'client-auth', dependencies: ['store', 'services', 'audit'], fastify: '5.x' })
