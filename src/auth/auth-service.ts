import type { Audit } from '../audit/audit-event.js'
import type { Config } from '../config.js'
import {
  badCredentials, insufficientScope, insufficientUserAuthentication, invalidGrant, invalidToken,
  ServiceError
} from '../errors.js'
import type { PasswordHasher } from '../passwords/password-hasher.js'
import { isSessionActive, type Session } from '../sessions/session.js'
import type { Store } from '../store/store.js'
import type { AccessTokenClaims, AccessTokenIssuer } from '../tokens/access-tokens.js'
import { hashRefreshToken, newRefreshToken, newSessionId, REFRESH_TOKEN_PATTERN } from '../tokens/refresh-tokens.js'
import { canonicalUsername, isValidUsername } from '../users/username.js'
import type { User } from '../store/user.js'
import type { LoginThrottle } from './login-throttle.js'
import { checkPassword, refusalClock } from './password-check.js'
import { grantScopes } from './scope-check.js'
import type { TokenResponse } from '../../schemas/token.js'

export interface ClientInfo {
  ip: string
  userAgent: string | null
}

export interface AuthContext {
  user: User
  session: Session
  claims: Readonly<AccessTokenClaims>
  /** Scopes of the token that the user still holds now. */
  scopes: string[]
}

export interface AuthService {
  passwordGrant: (input: { username: string, password: string, scope?: string }, client: ClientInfo, audit: Audit) => Promise<TokenResponse>
  refreshGrant: (input: { refreshToken: string, scope?: string }, audit: Audit) => Promise<TokenResponse>
  /** The Bearer path, once the JWT is verified (plugins/jwt.ts): one query for the session and its user. */
  authorize: (claims: Readonly<AccessTokenClaims>) => Promise<AuthContext>
  requireScopes: (context: AuthContext, required: readonly string[]) => void
  requireRecentLogin: (context: AuthContext) => void
  /**
   * RFC 7009: revokes the session behind a refresh or access token; silent for unknown tokens.
   * `accessClaims` are the token's claims when it verified as an access token (plugins/jwt.ts).
   */
  revokeToken: (token: string, hint: string | undefined, accessClaims: Readonly<AccessTokenClaims> | undefined) => Promise<{ sessionId: string, username: string } | undefined>
  isUsable: (session: Session) => boolean
}

interface Dependencies {
  config: Config
  store: Store
  hasher: PasswordHasher
  tokens: AccessTokenIssuer
  throttle: LoginThrottle
  now?: () => number
}

export function createAuthService (deps: Dependencies): AuthService {
  const { config, store, hasher, tokens, throttle } = deps
  const now = deps.now ?? Date.now
  const limits = { idleMs: config.sessions.idleTtlSeconds * 1000 }
  const isUsable = (session: Session) => isSessionActive(session, limits, now())

  function respond (user: User, session: Session, scopes: string[], refreshToken: string): TokenResponse {
    const issued = tokens.issue({ username: user.username, scopes, sessionId: session.id, authTime: session.authTime })
    return { access_token: issued.token, token_type: 'bearer', expires_in: issued.expiresIn, refresh_token: refreshToken, scope: scopes.join(' ') }
  }

  return {
    isUsable,

    async passwordGrant (input, client, audit) {
      const refusalTime = refusalClock()
      const username = canonicalUsername(input.username)
      // Read first: the user's lockout generation decides whether old failures still count.
      const user = isValidUsername(username) ? await store.users.findByUsername(username) : undefined
      if (!await checkPassword({ throttle, hasher }, { username, ip: client.ip, user, password: input.password, refusalTime }, audit) || user === undefined) {
        throw badCredentials()
      }
      if (user.disabled) {
        audit({ event: 'login.failed', username, reason: 'inactive' })
        throw invalidGrant('Inactive user')
      }
      const scopes = grantScopes(input.scope, user.scopes)
      if (hasher.needsRehash(user.passwordHash, input.password)) {
        await store.users.setPasswordHash(user.id, await hasher.hash(input.password, client.ip))
      }

      const at = now()
      const session: Session = {
        id: newSessionId(),
        userId: user.id,
        scopes,
        authTime: Math.floor(at / 1000),
        createdAt: at,
        lastUsedAt: at,
        expiresAt: at + config.sessions.absoluteTtlSeconds * 1000,
        userAgent: client.userAgent?.slice(0, 512) ?? null,
        ip: client.ip.slice(0, 64),
        revokedAt: null,
        clientId: null
      }
      const refresh = newRefreshToken()
      await store.sessions.create(session, refresh.hash)
      audit({ event: 'login.succeeded', username, session_id: session.id })
      return respond(user, session, scopes, refresh.token)
    },

    async refreshGrant (input, audit) {
      if (!REFRESH_TOKEN_PATTERN.test(input.refreshToken)) throw invalidGrant('Invalid refresh token')
      const next = newRefreshToken()
      let refusal: ServiceError | undefined
      const result = await store.sessions.rotate(hashRefreshToken(input.refreshToken), next.hash, ({ session, user }) => {
        if (!isUsable(session)) refusal = invalidGrant('The session has ended; log in again')
        else if (user.disabled) refusal = invalidGrant('Inactive user')
        else {
          try { grantScopes(input.scope, session.scopes) } catch (err) { refusal = err as ServiceError }
        }
        return refusal === undefined
      }, now())
      if (result.kind === 'unknown') throw invalidGrant('Invalid refresh token')
      if (result.kind === 'reused') {
        audit({ event: 'token.reuse_detected', username: result.user.username, session_id: result.session.id })
        throw invalidGrant('Refresh token was already used; the session has been revoked')
      }
      if (result.kind === 'refused') throw refusal ?? invalidGrant('Invalid refresh token')
      const scopes = grantScopes(input.scope, result.session.scopes).filter(s => result.user.scopes.includes(s))
      audit({ event: 'token.refreshed', username: result.user.username, session_id: result.session.id })
      return respond(result.user, result.session, scopes, next.token)
    },

    async authorize (claims) {
      const found = await store.sessions.findWithUser(claims.sid)
      if (found === undefined || found.user.username !== claims.sub) throw invalidToken('The session of this token has ended')
      if (!isUsable(found.session)) throw invalidToken('The session of this token was revoked or has ended')
      if (found.user.disabled) throw invalidToken('The user is disabled')
      const scopes = claims.scope === '' ? [] : claims.scope.split(' ').filter(s => found.user.scopes.includes(s))
      return { user: found.user, session: found.session, claims, scopes }
    },

    requireScopes (context, required) {
      if (!required.every(s => context.scopes.includes(s))) throw insufficientScope(required)
    },

    requireRecentLogin (context) {
      const maxAge = config.sessions.reauthMaxAgeSeconds
      if (now() / 1000 - context.claims.auth_time > maxAge) throw insufficientUserAuthentication(maxAge)
    },

    async revokeToken (token, hint, accessClaims) {
      const asRefresh = async () => {
        if (!REFRESH_TOKEN_PATTERN.test(token)) return undefined
        const found = await store.sessions.findByRefreshHash(hashRefreshToken(token))
        if (found === undefined) return undefined
        await store.sessions.revoke(found.session.id, now())
        return { sessionId: found.session.id, username: found.user.username }
      }
      const asAccess = async () => {
        if (accessClaims === undefined) return undefined
        const found = await store.sessions.findWithUser(accessClaims.sid)
        if (found === undefined) return undefined
        await store.sessions.revoke(accessClaims.sid, now())
        return { sessionId: accessClaims.sid, username: found.user.username }
      }
      return hint === 'access_token'
        ? (await asAccess()) ?? (await asRefresh())
        : (await asRefresh()) ?? (await asAccess())
    }
  }
}
