import { randomUUID } from 'node:crypto'
import { createSigner, createVerifier, TokenError } from 'fast-jwt'
import { LRUCache } from 'lru-cache'
import { hasDuplicateKeys } from './duplicate-keys.js'
import type { Algorithm, KeySet } from './keys.js'

export interface AccessTokenClaims {
  iss: string
  aud: string
  sub: string
  iat: number
  exp: number
  jti: string
  scope: string
  sid: string
  auth_time: number
}

export interface IssueInput {
  username: string
  scopes: readonly string[]
  sessionId: string
  authTime: number
}

export interface IssuedAccessToken {
  token: string
  expiresIn: number
  claims: AccessTokenClaims
}

/** Why a token was refused; the message is safe to show to the client. */
export class AccessTokenError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'AccessTokenError'
  }
}

/** Tokens longer than this are refused before any parsing (a JWT of ours is well under 1 KB). */
export const MAX_TOKEN_LENGTH = 4096
export const CLOCK_SKEW_SECONDS = 30
const BASE64URL = /^[A-Za-z0-9_-]+$/
const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/**
 * True when the segment is the one canonical base64url spelling of its bytes.
 * A final character carries unused low bits (4 of them when length % 4 == 2,
 * 2 when 3); decoders ignore them, so without this check one signature has
 * several spellings and a token could be altered without breaking it.
 */
export function isCanonicalBase64url (segment: string): boolean {
  const rest = segment.length % 4
  if (rest === 1) return false
  if (rest === 0) return true
  const last = BASE64URL_ALPHABET.indexOf(segment[segment.length - 1] as string)
  return (last & (rest === 2 ? 0b1111 : 0b11)) === 0
}
const MAX_KID_LENGTH = 128

export interface AccessTokenService {
  algorithm: Algorithm
  issue: (input: IssueInput) => IssuedAccessToken
  verify: (token: string) => AccessTokenClaims
}

interface Options {
  keys: KeySet
  issuer: string
  audience: string
  ttlSeconds: number
  /** How many verified tokens to remember (0: verify every time); see verify(). */
  cacheSize?: number
  now?: () => number
}

function parseHeader (segment: string): Record<string, unknown> {
  if (!BASE64URL.test(segment)) throw new AccessTokenError('The access token is malformed')
  let header: unknown
  const json = Buffer.from(segment, 'base64url').toString('utf8')
  try {
    header = JSON.parse(json)
  } catch {
    throw new AccessTokenError('The access token is malformed')
  }
  if (hasDuplicateKeys(json)) throw new AccessTokenError('The access token is malformed')
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new AccessTokenError('The access token is malformed')
  return header as Record<string, unknown>
}

export function createAccessTokenService (options: Options): AccessTokenService {
  const { keys, issuer, audience, ttlSeconds } = options
  const now = options.now ?? Date.now
  const algorithm = keys.algorithm

  const signer = createSigner({
    key: keys.current.signKey,
    algorithm,
    kid: keys.current.kid,
    header: { alg: algorithm, typ: 'at+jwt', kid: keys.current.kid }
  })

  // One verifier per key, each pinned to the one configured algorithm.
  const verifiers = new Map<string, (token: string) => Record<string, unknown>>()
  for (const [kid, key] of keys.byKid) {
    verifiers.set(kid, createVerifier({
      key: key.verifyKey,
      algorithms: [algorithm],
      allowedIss: issuer,
      allowedAud: audience,
      checkTyp: 'at+jwt',
      clockTolerance: CLOCK_SKEW_SECONDS * 1000,
      requiredClaims: ['iss', 'aud', 'sub', 'iat', 'exp', 'jti', 'sid', 'scope', 'auth_time']
    }) as (token: string) => Record<string, unknown>)
  }

  function issue (input: IssueInput): IssuedAccessToken {
    const iat = Math.floor(now() / 1000)
    const claims: AccessTokenClaims = {
      iss: issuer,
      aud: audience,
      sub: input.username,
      iat,
      exp: iat + ttlSeconds,
      jti: randomUUID(),
      scope: input.scopes.join(' '),
      sid: input.sessionId,
      auth_time: input.authTime
    }
    return { token: signer(claims), expiresIn: ttlSeconds, claims }
  }

  function verifierFor (headerSegment: string): (token: string) => Record<string, unknown> {
    const header = parseHeader(headerSegment)
    if (header.alg !== algorithm) throw new AccessTokenError('The access token is signed with an algorithm this service does not accept')
    const kid = header.kid
    if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) throw new AccessTokenError('The access token has no valid key id')
    const verifier = verifiers.get(kid)
    if (verifier === undefined) throw new AccessTokenError('The access token was signed with an unknown key')
    return verifier
  }

  // Our tokens carry one header per key, so the header checks above are
  // remembered per header segment (accepted ones only, a handful at most).
  const verifierByHeader = new Map<string, (token: string) => Record<string, unknown>>()
  const MAX_REMEMBERED_HEADERS = 16

  // Everything verifyUncached checks depends only on the token's bytes and the
  // keys, except expiry: so an accepted token is remembered (frozen, by its exact
  // string) and only its expiry is checked again. Revocation is not decided
  // here: the caller checks the session on every request.
  const verified = (options.cacheSize ?? 0) > 0
    ? new LRUCache<string, Readonly<AccessTokenClaims>>({ max: options.cacheSize as number })
    : undefined

  /** fast-jwt's rule (`exp` plus the clock skew), on our clock, which tests can move. */
  const hasExpired = (exp: number): boolean => now() > (exp + CLOCK_SKEW_SECONDS) * 1000

  function verify (token: string): AccessTokenClaims {
    if (token.length > MAX_TOKEN_LENGTH) throw new AccessTokenError('The access token is too large')
    const remembered = verified?.get(token)
    if (remembered !== undefined) {
      if (hasExpired(remembered.exp)) {
        verified?.delete(token)
        throw new AccessTokenError('The access token expired')
      }
      return remembered
    }
    const claims = Object.freeze(verifyUncached(token))
    verified?.set(token, claims)
    return claims
  }

  function verifyUncached (token: string): AccessTokenClaims {
    const firstDot = token.indexOf('.')
    const parts = token.split('.')
    if (parts.length !== 3 || firstDot <= 0 || parts[1] === '' || parts[2] === '') throw new AccessTokenError('The access token is malformed')
    const headerSegment = parts[0] as string
    let verifier = verifierByHeader.get(headerSegment)
    if (verifier === undefined) {
      verifier = verifierFor(headerSegment)
      if (verifierByHeader.size >= MAX_REMEMBERED_HEADERS) verifierByHeader.clear()
      verifierByHeader.set(headerSegment, verifier)
    }
    if (!BASE64URL.test(parts[1] as string) || !BASE64URL.test(parts[2] as string) || !isCanonicalBase64url(parts[2] as string)) {
      throw new AccessTokenError('The access token is malformed')
    }

    let payload: Record<string, unknown>
    try {
      payload = verifier(token)
    } catch (err) {
      if (err instanceof TokenError && err.code === TokenError.codes.expired) throw new AccessTokenError('The access token expired')
      throw new AccessTokenError('The access token is invalid')
    }
    if (hasDuplicateKeys(Buffer.from(parts[1] as string, 'base64url').toString('utf8'))) throw new AccessTokenError('The access token is malformed')
    const nowSeconds = now() / 1000
    if (typeof payload.exp === 'number' && hasExpired(payload.exp)) throw new AccessTokenError('The access token expired')
    if (typeof payload.iat !== 'number' || payload.iat > nowSeconds + CLOCK_SKEW_SECONDS) throw new AccessTokenError('The access token was issued in the future')
    if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string' || typeof payload.scope !== 'string' ||
        typeof payload.auth_time !== 'number' || typeof payload.exp !== 'number') {
      throw new AccessTokenError('The access token is invalid')
    }
    return payload as unknown as AccessTokenClaims
  }

  return { algorithm, issue, verify }
}
