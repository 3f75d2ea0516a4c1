import { randomUUID } from 'node:crypto'
import { hasDuplicateKeys } from './duplicate-keys.js'

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

/** What the service puts in a token; the signer adds iss, aud and exp (plugins/jwt.ts). */
export type AccessTokenPayload = Omit<AccessTokenClaims, 'iss' | 'aud' | 'exp'>

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

/** Signs access tokens; the domain services get this, plugins/jwt.ts implements it with @fastify/jwt. */
export interface AccessTokenIssuer {
  issue: (input: IssueInput) => IssuedAccessToken
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
export const REQUIRED_CLAIMS = ['iss', 'aud', 'sub', 'iat', 'exp', 'jti', 'sid', 'scope', 'auth_time']
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

export function accessTokenPayload (input: IssueInput, nowMs: number): AccessTokenPayload {
  return {
    sub: input.username,
    iat: Math.floor(nowMs / 1000),
    jti: randomUUID(),
    scope: input.scopes.join(' '),
    sid: input.sessionId,
    auth_time: input.authTime
  }
}

const malformed = () => new AccessTokenError('The access token is malformed')

function jsonObjectWithoutDuplicates (segment: string): Record<string, unknown> {
  const json = Buffer.from(segment, 'base64url').toString('utf8')
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    throw malformed()
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || hasDuplicateKeys(json)) throw malformed()
  return value as Record<string, unknown>
}

/**
 * The checks fast-jwt (and so @fastify/jwt) does not make, run on the raw
 * token before it is handed to them: a size limit before any parsing, strict
 * base64url segments with the one canonical signature spelling (fast-jwt
 * decodes leniently, so unused bits would give one signature several
 * spellings), and no duplicate JSON member names in the header or the payload
 * (fast-jwt uses JSON.parse, which silently keeps the last one).
 */
export function precheckAccessToken (token: string): { header: Record<string, unknown> } {
  if (token.length > MAX_TOKEN_LENGTH) throw new AccessTokenError('The access token is too large')
  const parts = token.split('.')
  if (parts.length !== 3) throw malformed()
  const [header, payload, signature] = parts as [string, string, string]
  if (!BASE64URL.test(header) || !BASE64URL.test(payload) || !BASE64URL.test(signature) || !isCanonicalBase64url(signature)) throw malformed()
  const decodedHeader = jsonObjectWithoutDuplicates(header)
  jsonObjectWithoutDuplicates(payload)
  return { header: decodedHeader }
}

/** exp plus the clock skew, the rule fast-jwt applies, on our clock (which tests can move). */
export const hasExpired = (exp: number, nowMs: number): boolean => nowMs > (exp + CLOCK_SKEW_SECONDS) * 1000

/**
 * The checks on a payload whose signature and registered claims fast-jwt
 * accepted that it does not make itself: an `iat` in the future (beyond the
 * skew) and the types of our own claims.
 */
export function checkVerifiedClaims (payload: Record<string, unknown>, nowMs: number): AccessTokenClaims {
  if (typeof payload.exp !== 'number') throw new AccessTokenError('The access token is invalid')
  if (hasExpired(payload.exp, nowMs)) throw new AccessTokenError('The access token expired')
  if (typeof payload.iat !== 'number' || payload.iat > nowMs / 1000 + CLOCK_SKEW_SECONDS) throw new AccessTokenError('The access token was issued in the future')
  if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string' || typeof payload.scope !== 'string' ||
      typeof payload.auth_time !== 'number' || typeof payload.jti !== 'string') {
    throw new AccessTokenError('The access token is invalid')
  }
  return payload as unknown as AccessTokenClaims
}
