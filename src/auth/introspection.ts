import type { IntrospectResponse } from '../../schemas/introspect.js'
import { ServiceError } from '../errors.js'
import { isSessionActive } from '../sessions/session.js'
import { AccessTokenError, isClientToken, MFA_ACR, type VerifiedClaims } from '../tokens/access-tokens.js'
import { hashRefreshToken, REFRESH_TOKEN_PATTERN } from '../tokens/refresh-tokens.js'
import type { Store } from '../store/store.js'
import type { AuthService } from './auth-service.js'

const INACTIVE: IntrospectResponse = Object.freeze({ active: false })

/** A refusal that means "not a usable token" (inactive), as opposed to our own failure (503, 500), which is thrown on. */
const isRefusal = (err: unknown): boolean =>
  err instanceof AccessTokenError || (err instanceof ServiceError && (err.code === 'invalid_token' || err.code === 'access_denied'))

export interface Introspection {
  /**
   * RFC 7662: what `token` is worth now, to the client `callerId`. An access
   * token goes through exactly the Bearer path (`verify`: the verified-token
   * cache and @fastify/jwt, then authService.authorize or authorizeClient
   * with the session cache); anything it refuses is `{ active: false }`. A
   * refresh token is described only to the client its session belongs to.
   */
  introspect: (token: string, callerId: string, verify: (token: string) => Promise<Readonly<VerifiedClaims>>) => Promise<IntrospectResponse>
}

export function createIntrospection (deps: { authService: AuthService, store: Store, issuer: string, idleTtlSeconds: number, now?: () => number }): Introspection {
  const { authService, store } = deps
  const now = deps.now ?? Date.now
  const limits = { idleMs: deps.idleTtlSeconds * 1000 }

  async function accessToken (token: string, verify: (token: string) => Promise<Readonly<VerifiedClaims>>): Promise<IntrospectResponse> {
    try {
      const claims = await verify(token)
      const common = { active: true, token_type: 'Bearer', exp: claims.exp, iat: claims.iat, sub: claims.sub, aud: claims.aud, iss: claims.iss, jti: claims.jti }
      if (isClientToken(claims)) {
        const context = await authService.authorizeClient(claims)
        return { ...common, scope: context.scopes.join(' '), client_id: claims.client_id }
      }
      const context = await authService.authorize(claims)
      const response: IntrospectResponse = { ...common, scope: context.scopes.join(' '), username: context.user.username, sid: claims.sid, auth_time: claims.auth_time }
      if (claims.client_id !== undefined) response.client_id = claims.client_id
      if (context.user.email !== null) response.email_verified = context.user.emailVerified
      if (claims.amr !== undefined) response.amr = claims.amr
      if (claims.acr !== undefined) response.acr = claims.acr
      return response
    } catch (err) {
      if (isRefusal(err)) return INACTIVE
      throw err
    }
  }

  async function refreshToken (token: string, callerId: string): Promise<IntrospectResponse> {
    const found = await store.sessions.findByRefreshHash(hashRefreshToken(token))
    if (found === undefined) return INACTIVE
    const { session, user, refreshToken: issued } = found
    if (session.clientId !== callerId || issued.usedAt !== null || user.disabled || !isSessionActive(session, limits, now())) return INACTIVE
    const ends = Math.min(session.expiresAt, session.lastUsedAt + limits.idleMs)
    return {
      active: true,
      token_type: 'refresh_token',
      scope: session.scopes.filter(s => user.scopes.includes(s)).join(' '),
      client_id: session.clientId,
      username: user.username,
      sub: user.username,
      sid: session.id,
      iat: Math.floor(issued.issuedAt / 1000),
      exp: Math.floor(ends / 1000),
      iss: deps.issuer,
      auth_time: session.authTime,
      ...(session.amr?.includes('otp') === true ? { amr: session.amr, acr: MFA_ACR } : {})
    }
  }

  return {
    async introspect (token, callerId, verify) {
      // The shapes cannot be confused (a JWT has dots, a refresh token has none), so the hint is not needed.
      return REFRESH_TOKEN_PATTERN.test(token) ? await refreshToken(token, callerId) : await accessToken(token, verify)
    }
  }
}
