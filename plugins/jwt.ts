import fastifyJwt, { type TokenOrHeader } from '@fastify/jwt'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { invalidToken, missingCredentials, type ServiceError } from '../src/errors.js'
import {
  AccessTokenError, accessTokenPayload, checkVerifiedClaims, CLOCK_SKEW_SECONDS, clientTokenPayload, precheckAccessToken, REQUIRED_CLAIMS,
  type AccessTokenIssuer, type AccessTokenPayload, type ClientIssueInput, type ClientTokenClaims, type ClientTokenPayload,
  type IssuedAccessToken, type IssueInput, type VerifiedClaims
} from '../src/tokens/access-tokens.js'
import type { Algorithm } from '../src/tokens/keys.js'
import { createVerifiedTokens } from '../src/tokens/verified-tokens.js'

/** request.accessToken holds the verified claims; request.auth (plugins/auth.ts) the session and user behind them. */
export const DECORATOR_NAME = 'accessToken'

declare module 'fastify' {
  interface FastifyInstance {
    accessTokens: AccessTokens
  }
  interface FastifyRequest {
    /** Set under DECORATOR_NAME by @fastify/jwt (through formatUser) and by the verified-token cache. */
    accessToken: Readonly<VerifiedClaims> | null
    /** The token request.jwtVerify() verifies (extractToken below): the Bearer token, or one given to verifyPresented. */
    presentedToken: string | null
  }
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: AccessTokenPayload | ClientTokenPayload
    user: Readonly<VerifiedClaims>
  }
}

export interface AccessTokens extends AccessTokenIssuer {
  algorithm: Algorithm
  /** Signs through app.jwt.sign; `nowMs` sets iat (tests issue tokens in the past or future). */
  issue: (input: IssueInput, nowMs?: number) => IssuedAccessToken
  /** A client-credentials token (sub = client_id, no session). */
  issueForClient: (input: ClientIssueInput, nowMs?: number) => IssuedAccessToken<ClientTokenClaims>
  /** The Bearer path: the verified-token cache, then request.jwtVerify(). Sets request.accessToken. */
  verifyRequest: (request: FastifyRequest) => Promise<Readonly<VerifiedClaims>>
  /**
   * A token given in the body (POST /introspect), through exactly the Bearer
   * path's checks and caches: the verified-token cache, then request.jwtVerify()
   * with the token in place of the header's. request.accessToken is left as it was.
   */
  verifyPresented: (request: FastifyRequest, token: string) => Promise<Readonly<VerifiedClaims>>
  /** A token that does not come in the Authorization header (POST /revoke): app.jwt.verify with the key of its kid. */
  verify: (token: string) => Readonly<VerifiedClaims>
}

const BEARER = /^Bearer +([^\s]*) *$/i
const MAX_KID_LENGTH = 128

/** The token of `Authorization: Bearer …`; @fastify/jwt's extractToken, so both read the header the same way. */
export function bearerToken (request: FastifyRequest): string {
  const header = request.headers.authorization
  if (header === undefined || header === '') throw missingCredentials()
  const match = BEARER.exec(header)
  if (match === null) throw missingCredentials()
  const token = match[1] as string
  if (token === '') throw invalidToken('The access token is malformed')
  return token
}

/**
 * @fastify/jwt's FST_JWT_* errors and fast-jwt's FAST_JWT_* errors (which
 * app.jwt.verify throws as they are) as our one refusal; undefined for any
 * other error. Descriptions are ours: theirs can echo token details.
 */
export function jwtRefusal (err: unknown): ServiceError | undefined {
  if (err instanceof AccessTokenError) return invalidToken(err.message)
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code !== 'string') return undefined
  if (code === 'FST_JWT_NO_AUTHORIZATION_IN_HEADER' || code === 'FST_JWT_BAD_REQUEST') return missingCredentials()
  if (code === 'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED' || code === 'FAST_JWT_EXPIRED') return invalidToken('The access token expired')
  if (code === 'FAST_JWT_INVALID_ALGORITHM') return invalidToken('The access token is signed with an algorithm this service does not accept')
  // Not a refused token but our own mistake (a bad option, a failed signature): left to be a 500.
  if (code === 'FAST_JWT_INVALID_OPTION' || code === 'FAST_JWT_SIGN_ERROR') return undefined
  if (code.startsWith('FST_JWT_') || code.startsWith('FAST_JWT_')) return invalidToken('The access token is invalid')
  return undefined
}

/** Every refusal as an AccessTokenError with a safe message; other errors as they are. */
function asAccessTokenError (err: unknown): unknown {
  if (err instanceof AccessTokenError) return err
  const refusal = jwtRefusal(err)
  return refusal === undefined ? err : new AccessTokenError(refusal.message)
}

/**
 * Registers @fastify/jwt as the one JWT plugin: app.jwt, request.jwtVerify()
 * and reply.jwtSign() sign with the current key only and verify with the key
 * named by the token's kid (current or retired), pinned to the configured
 * algorithm. fast-jwt is not imported here: @fastify/jwt has an equivalent for
 * every option we need; the checks it has none for are in precheckAccessToken
 * and checkVerifiedClaims (src/tokens/access-tokens.ts).
 */
export default fp<{ now?: () => number }>(async (app, options) => {
  const { config, keys } = app
  const now = options.now ?? Date.now
  const { algorithm } = keys
  const issuer = config.publicUrl
  const audience = config.jwt.audience
  const ttlSeconds = config.jwt.accessTokenTtlSeconds

  /**
   * The verify key of exactly the header's kid: an unknown kid fails without
   * trying other keys. The algorithm is checked first (fast-jwt checks it again,
   * `verify.algorithms`) so that a token of another algorithm is refused as such.
   */
  function verifyKeyOf (header: { alg?: unknown, kid?: unknown } | undefined): string {
    if (header?.alg !== algorithm) throw new AccessTokenError('The access token is signed with an algorithm this service does not accept')
    const kid = header.kid
    if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) throw new AccessTokenError('The access token has no valid key id')
    const key = keys.byKid.get(kid)
    if (key === undefined) throw new AccessTokenError('The access token was signed with an unknown key')
    return key.verifyKey
  }

  await app.register(fastifyJwt, {
    secret: {
      // Only the current key signs; retired keys are only ever returned below, to verify.
      private: keys.current.signKey,
      public: (_request: FastifyRequest, token: TokenOrHeader, callback: (err: Error | null, key: string | undefined) => void) => {
        let key: string
        try {
          key = verifyKeyOf((token as { header?: { alg?: unknown, kid?: unknown } }).header)
        } catch (err) {
          callback(err as Error, undefined)
          return
        }
        callback(null, key)
      }
    },
    // The secret callback above needs the header, so request.jwtVerify() decodes the whole token.
    decode: { complete: true },
    sign: { algorithm, kid: keys.current.kid, iss: issuer, aud: audience, expiresIn: ttlSeconds, header: { alg: algorithm, typ: 'at+jwt' } },
    verify: {
      algorithms: [algorithm],
      allowedIss: issuer,
      allowedAud: audience,
      checkTyp: 'at+jwt',
      requiredClaims: REQUIRED_CLAIMS,
      clockTolerance: CLOCK_SKEW_SECONDS * 1000,
      extractToken: (request: FastifyRequest) => request.presentedToken ?? bearerToken(request)
    },
    decoratorName: DECORATOR_NAME,
    formatUser: payload => Object.freeze(payload as unknown as VerifiedClaims),
    messages: {
      authorizationTokenExpiredMessage: 'The access token expired',
      authorizationTokenInvalid: 'The access token is invalid',
      noAuthorizationInHeaderMessage: 'Not authenticated',
      badRequestErrorMessage: 'Not authenticated'
    }
  })

  // Checked by exact token string before request.jwtVerify() runs, so a repeated token costs one lookup.
  const verified = createVerifiedTokens(config.authCacheSize, now)

  app.decorateRequest('presentedToken', null)

  /** A client's lifetime override signs with its own expiresIn (a signer built per call: only at /token). */
  function sign (payload: AccessTokenPayload | ClientTokenPayload, override: number | null | undefined): { token: string, expiresIn: number } {
    if (override === undefined || override === null) return { token: app.jwt.sign(payload), expiresIn: ttlSeconds }
    return { token: app.jwt.sign(payload, { expiresIn: override }), expiresIn: override }
  }

  function issue (input: IssueInput, nowMs = now()): IssuedAccessToken {
    const payload = accessTokenPayload(input, nowMs)
    const { token, expiresIn } = sign(payload, input.ttlSeconds)
    return { token, expiresIn, claims: { ...payload, iss: issuer, aud: audience, exp: payload.iat + expiresIn } }
  }

  function issueForClient (input: ClientIssueInput, nowMs = now()): IssuedAccessToken<ClientTokenClaims> {
    const payload = clientTokenPayload(input, nowMs)
    const { token, expiresIn } = sign(payload, input.ttlSeconds)
    return { token, expiresIn, claims: { ...payload, iss: issuer, aud: audience, exp: payload.iat + expiresIn } }
  }

  async function verifyPresented (request: FastifyRequest, token: string): Promise<Readonly<VerifiedClaims>> {
    const remembered = verified.get(token)
    if (remembered !== undefined) return remembered
    precheckAccessToken(token)
    const caller = request.accessToken
    request.presentedToken = token
    let claims: Readonly<VerifiedClaims>
    try {
      claims = checkVerifiedClaims(await request.jwtVerify<Record<string, unknown>>(), now())
    } catch (err) {
      throw asAccessTokenError(err)
    } finally {
      request.presentedToken = null
      request.accessToken = caller
    }
    verified.set(token, claims)
    return claims
  }

  async function verifyRequest (request: FastifyRequest): Promise<Readonly<VerifiedClaims>> {
    const token = bearerToken(request)
    const remembered = verified.get(token)
    if (remembered !== undefined) {
      request.accessToken = remembered
      return remembered
    }
    precheckAccessToken(token)
    let claims: Readonly<VerifiedClaims>
    try {
      // No options: @fastify/jwt then keeps one fast-jwt verifier per key string
      // returned by the secret callback, so nothing is compiled per request.
      claims = checkVerifiedClaims(await request.jwtVerify<Record<string, unknown>>(), now())
    } catch (err) {
      request.accessToken = null
      throw asAccessTokenError(err)
    }
    verified.set(token, claims)
    return claims
  }

  function verify (token: string): Readonly<VerifiedClaims> {
    const { header } = precheckAccessToken(token)
    try {
      // With a key option app.jwt.verify builds a fast-jwt verifier per call: fine for
      // /revoke, which is rare and not on the Bearer path. Without one it would hand our
      // secret callback to fast-jwt, which calls it with other arguments.
      return Object.freeze(checkVerifiedClaims(app.jwt.verify<Record<string, unknown>>(token, { key: verifyKeyOf(header) }), now()))
    } catch (err) {
      throw asAccessTokenError(err)
    }
  }

  app.decorate('accessTokens', { algorithm, issue, issueForClient, verifyRequest, verifyPresented, verify })
}, { name: 'jwt', dependencies: ['config'], fastify: '5.x' })
