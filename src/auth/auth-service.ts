import type { Audit } from '../audit/audit-event.js'
import type { Config } from '../config.js'
import {
  accessDenied, badCredentials, mfaRequired, insufficientScope, insufficientUserAuthentication, invalidGrant, invalidToken,
  ServiceError
} from '../errors.js'
import type { OAuthClient } from '../store/client.js'
import type { PasswordHasher } from '../passwords/password-hasher.js'
import { isSessionActive, type Session } from '../sessions/session.js'
import type { Store } from '../store/store.js'
import type { AccessTokenClaims, AccessTokenIssuer, ClientTokenClaims, VerifiedClaims } from '../tokens/access-tokens.js'
import { hashRefreshToken, newRefreshToken, newSessionId, REFRESH_TOKEN_PATTERN } from '../tokens/refresh-tokens.js'
import { canonicalUsername, isValidUsername } from '../users/username.js'
import type { User } from '../store/user.js'
import type { LoginThrottle } from './login-throttle.js'
import type { MfaService, SecondFactorProof } from '../mfa/mfa-service.js'
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

/** A client-credentials token's caller, once its client was found enabled. */
export interface ClientContext {
  client: OAuthClient
  claims: Readonly<ClientTokenClaims>
  /** Scopes of the token that the client still holds now. */
  scopes: string[]
}

export interface AuthService {
  /** `oauthClient`: the registered client the request came through (plugins/client-auth.ts); undefined for the anonymous one. */
  passwordGrant: (input: { username: string, password: string, scope?: string }, client: ClientInfo, audit: Audit, oauthClient?: OAuthClient) => Promise<TokenResponse>
  /** Completes a password grant that answered mfa_required: the mfa_token and a one-time or recovery code. */
  mfaGrant: (input: { mfaToken: string } & SecondFactorProof, client: ClientInfo, audit: Audit, oauthClient?: OAuthClient) => Promise<TokenResponse>
  refreshGrant: (input: { refreshToken: string, scope?: string }, audit: Audit, oauthClient?: OAuthClient) => Promise<TokenResponse>
  /** RFC 6749 §4.4, for an authenticated confidential client allowed the grant: an access token and no refresh token. */
  clientCredentialsGrant: (input: { scope?: string }, oauthClient: OAuthClient, audit: Audit) => TokenResponse
  /**
   * The Bearer path, once the JWT is verified (plugins/jwt.ts): one query for the session and its user.
   * A client's token (no user) is 403 access_denied once its client is found enabled (401 otherwise).
   */
  authorize: (claims: Readonly<VerifiedClaims>) => Promise<AuthContext>
  /** The Bearer path for a client-credentials token: 401 invalid_token when its client was deleted or disabled. */
  authorizeClient: (claims: Readonly<ClientTokenClaims>) => Promise<ClientContext>
  requireScopes: (context: AuthContext, required: readonly string[]) => void
  requireRecentLogin: (context: AuthContext) => void
  /**
   * RFC 7009: revokes the session behind a refresh or access token; silent for unknown tokens.
   * `accessClaims` are the token's claims when it verified as an access token (plugins/jwt.ts).
   */
  revokeToken: (token: string, hint: string | undefined, accessClaims: Readonly<VerifiedClaims> | undefined) => Promise<{ sessionId: string, username: string } | undefined>
  isUsable: (session: Session) => boolean
}

interface Dependencies {
  config: Config
  store: Store
  hasher: PasswordHasher
  tokens: AccessTokenIssuer
  throttle: LoginThrottle
  /**
   * Told of a login refused because the address is not verified (correct
   * password, EMAIL_VERIFICATION_REQUIRED): such a user cannot log in to ask
   * for a new link, so this may mail one.
   */
  onUnverifiedLogin?: (user: User) => Promise<void>
  /** The second factor; without it no login asks for one. */
  mfa?: MfaService
  now?: () => number
}

export function createAuthService (deps: Dependencies): AuthService {
  const { config, store, hasher, tokens, throttle } = deps
  const now = deps.now ?? Date.now
  const limits = { idleMs: config.sessions.idleTtlSeconds * 1000 }
  const isUsable = (session: Session) => isSessionActive(session, limits, now())

  function respond (user: User, session: Session, scopes: string[], refreshToken: string, oauthClient: OAuthClient | undefined): TokenResponse {
    const issued = tokens.issue({
      username: user.username,
      scopes,
      sessionId: session.id,
      authTime: session.authTime,
      emailVerified: user.email === null ? undefined : user.emailVerified,
      clientId: session.clientId,
      amr: session.amr,
      ttlSeconds: oauthClient?.accessTokenTtlSeconds
    })
    return { access_token: issued.token, token_type: 'bearer', expires_in: issued.expiresIn, refresh_token: refreshToken, scope: scopes.join(' ') }
  }

  async function authorizeClient (claims: Readonly<ClientTokenClaims>): Promise<ClientContext> {
    const client = await store.clients.findById(claims.client_id)
    if (client === undefined) throw invalidToken('The client of this token no longer exists')
    if (client.disabled) throw invalidToken('The client of this token is disabled')
    const scopes = claims.scope === '' ? [] : claims.scope.split(' ').filter(s => client.scopes.includes(s))
    return { client, claims, scopes }
  }

  /** A new session after a complete login; `authTime` is when the password was checked. */
  async function openSession (user: User, scopes: string[], login: { authTime: number, amr: string[] }, client: ClientInfo, audit: Audit, oauthClient: OAuthClient | undefined): Promise<TokenResponse> {
    const at = now()
    const session: Session = {
      id: newSessionId(),
      userId: user.id,
      scopes,
      authTime: login.authTime,
      createdAt: at,
      lastUsedAt: at,
      expiresAt: at + config.sessions.absoluteTtlSeconds * 1000,
      userAgent: client.userAgent?.slice(0, 512) ?? null,
      ip: client.ip.slice(0, 64),
      revokedAt: null,
      clientId: oauthClient?.id ?? null,
      amr: login.amr
    }
    const refresh = newRefreshToken()
    await store.sessions.create(session, refresh.hash)
    audit({ event: 'login.succeeded', username: user.username, session_id: session.id })
    return respond(user, session, scopes, refresh.token, oauthClient)
  }

  return {
    isUsable,
    authorizeClient,

    async passwordGrant (input, client, audit, oauthClient) {
      const refusalTime = refusalClock()
      const username = canonicalUsername(input.username)
      // Read first: the user's lockout generation decides whether old failures still count.
      const user = isValidUsername(username) ? await store.users.findByUsername(username) : undefined
      let mfaOn = false
      const secondFactorFollows = async (): Promise<boolean> => {
        mfaOn = user !== undefined && deps.mfa !== undefined && await deps.mfa.isEnabled(user.id)
        return mfaOn
      }
      if (!await checkPassword({ throttle, hasher }, { username, ip: client.ip, user, password: input.password, refusalTime, secondFactorFollows }, audit) || user === undefined) {
        throw badCredentials()
      }
      if (user.disabled) {
        audit({ event: 'login.failed', username, reason: 'inactive' })
        throw invalidGrant('Inactive user')
      }
      // After the password check, like "Inactive user": only the password's owner learns the address is unverified.
      if (config.account.emailVerificationRequired && (user.email === null || !user.emailVerified)) {
        audit({ event: 'login.failed', username, reason: 'email_unverified' })
        await deps.onUnverifiedLogin?.(user)
        throw invalidGrant('Email not verified')
      }
      const available = oauthClient === undefined ? user.scopes : user.scopes.filter(s => oauthClient.scopes.includes(s))
      const scopes = grantScopes(input.scope, available, oauthClient === undefined ? 'this user' : 'this user through this client')
      if (hasher.needsRehash(user.passwordHash, input.password)) {
        await store.users.setPasswordHash(user.id, await hasher.hash(input.password, client.ip))
      }

      const authTime = Math.floor(now() / 1000)
      if (mfaOn && deps.mfa !== undefined) {
        audit({ event: 'login.mfa_required', username })
        throw mfaRequired(await deps.mfa.challenge(user, scopes, oauthClient?.id ?? null, authTime))
      }
      return await openSession(user, scopes, { authTime, amr: ['pwd'] }, client, audit, oauthClient)
    },

    async mfaGrant (input, client, audit, oauthClient) {
      if (deps.mfa === undefined) throw invalidGrant('Two-factor login is not available')
      const challenge = await deps.mfa.completeChallenge(input.mfaToken, input, oauthClient?.id ?? null, client.ip, audit)
      // The scopes granted at the password check that the user (and client) still hold.
      const scopes = challenge.scopes.filter(s => challenge.user.scopes.includes(s) && (oauthClient === undefined || oauthClient.scopes.includes(s)))
      return await openSession(challenge.user, scopes, { authTime: challenge.authTime, amr: ['pwd', 'otp'] }, client, audit, oauthClient)
    },

    clientCredentialsGrant (input, oauthClient, audit) {
      const scopes = grantScopes(input.scope, oauthClient.scopes, 'this client')
      const issued = tokens.issueForClient({ clientId: oauthClient.id, scopes, ttlSeconds: oauthClient.accessTokenTtlSeconds })
      audit({ event: 'client.token_issued', client_id: oauthClient.id, scope: issued.claims.scope })
      return { access_token: issued.token, token_type: 'bearer', expires_in: issued.expiresIn, scope: issued.claims.scope }
    },

    async refreshGrant (input, audit, oauthClient) {
      if (!REFRESH_TOKEN_PATTERN.test(input.refreshToken)) throw invalidGrant('Invalid refresh token')
      const next = newRefreshToken()
      let refusal: ServiceError | undefined
      const result = await store.sessions.rotate(hashRefreshToken(input.refreshToken), next.hash, ({ session, user }) => {
        // A session opened through a client is refreshed only by that client; one opened without, only without.
        if (session.clientId !== (oauthClient?.id ?? null)) refusal = invalidGrant('The refresh token was not issued to this client')
        else if (!isUsable(session)) refusal = invalidGrant('The session has ended; log in again')
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
      const scopes = grantScopes(input.scope, result.session.scopes)
        .filter(s => result.user.scopes.includes(s) && (oauthClient === undefined || oauthClient.scopes.includes(s)))
      audit({ event: 'token.refreshed', username: result.user.username, session_id: result.session.id })
      return respond(result.user, result.session, scopes, next.token, oauthClient)
    },

    async authorize (claims) {
      if (claims.sid === undefined) {
        await authorizeClient(claims)
        throw accessDenied('This request needs a user\'s token; a client\'s own token cannot be used here')
      }
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
        // A client's own token has no session to revoke; it ends with its lifetime or its client.
        if (accessClaims?.sid === undefined) return undefined
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
