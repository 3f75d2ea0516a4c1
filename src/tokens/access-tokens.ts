import { randomUUID } from 'node:crypto'
import { hasDuplicateKeysParsed } from './duplicate-keys.js'

/** A user's token: sub is the username, sid its session; client_id when issued through a registered client. */
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
  /** Only when the user has an email address: whether it was verified when the token was issued. */
  email_verified?: boolean
  client_id?: string
  /** RFC 8176 methods, present only after a second factor: ['pwd', 'otp']. */
  amr?: string[]
  /** The level reached (RFC 9470), present with amr: MFA_ACR. */
  acr?: string
}

/** The acr of a login with password and second factor (RFC 9470 acr_values). */
export const MFA_ACR = 'urn:gatehouse:acr:mfa'

/** Whether the token's login included a one-time code (TOTP or a recovery code). */
export const hasSecondFactor = (claims: Readonly<AccessTokenClaims>): boolean => claims.amr?.includes('otp') === true

/** A client-credentials token (RFC 6749 §4.4, RFC 9068): sub and client_id are the client, no session, no user. */
export interface ClientTokenClaims {
  iss: string
  aud: string
  sub: string
  iat: number
  exp: number
  jti: string
  scope: string
  client_id: string
  sid?: undefined
}

/** What the verifier accepts: either kind, told apart by `sid` (isClientToken). */
export type VerifiedClaims = AccessTokenClaims | ClientTokenClaims

export const isClientToken = (claims: Readonly<VerifiedClaims>): claims is Readonly<ClientTokenClaims> => claims.sid === undefined

/** What the service puts in a token; the signer adds iss, aud and exp (plugins/jwt.ts). */
export type AccessTokenPayload = Omit<AccessTokenClaims, 'iss' | 'aud' | 'exp'>
export type ClientTokenPayload = Omit<ClientTokenClaims, 'iss' | 'aud' | 'exp'>

export interface IssueInput {
  username: string
  scopes: readonly string[]
  sessionId: string
  authTime: number
  /** Undefined when the user has no email address (then there is no claim). */
  emailVerified?: boolean
  /** The registered client the session belongs to, if any: becomes the client_id claim. */
  clientId?: string | null
  /** The session's login methods; a second factor ('otp') puts amr and acr in the token. */
  amr?: readonly string[]
  /** The client's lifetime override; the configured lifetime when absent. */
  ttlSeconds?: number | null
}

export interface ClientIssueInput {
  clientId: string
  scopes: readonly string[]
  ttlSeconds?: number | null
}

export interface IssuedAccessToken<Claims extends VerifiedClaims = AccessTokenClaims> {
  token: string
  expiresIn: number
  claims: Claims
}

/** Signs access tokens; the domain services get this, plugins/jwt.ts implements it with @fastify/jwt. */
export interface AccessTokenIssuer {
  issue: (input: IssueInput) => IssuedAccessToken
  issueForClient: (input: ClientIssueInput) => IssuedAccessToken<ClientTokenClaims>
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
/** The claims of both kinds; sid and auth_time (user tokens) or client_id (client tokens) are checked by checkVerifiedClaims. */
export const REQUIRED_CLAIMS = ['iss', 'aud', 'sub', 'iat', 'exp', 'jti', 'scope']
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
  const payload: AccessTokenPayload = {
    sub: input.username,
    iat: Math.floor(nowMs / 1000),
    jti: randomUUID(),
    scope: input.scopes.join(' '),
    sid: input.sessionId,
    auth_time: input.authTime
  }
  if (input.emailVerified !== undefined) payload.email_verified = input.emailVerified
  if (input.clientId !== undefined && input.clientId !== null) payload.client_id = input.clientId
  if (input.amr?.includes('otp') === true) {
    payload.amr = [...input.amr]
    payload.acr = MFA_ACR
  }
  return payload
}

export function clientTokenPayload (input: ClientIssueInput, nowMs: number): ClientTokenPayload {
  return {
    sub: input.clientId,
    client_id: input.clientId,
    iat: Math.floor(nowMs / 1000),
    jti: randomUUID(),
    scope: input.scopes.join(' ')
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
  if (value === null || typeof value !== 'object' || Array.isArray(value) || hasDuplicateKeysParsed(json, value)) throw malformed()
  return value as Record<string, unknown>
}

/**
 * Headers already decoded, by their exact segment: every token signed with one
 * key has the same header, so its decoding and checks are done once. A
 * decoded header depends only on the segment, so any header that passed may
 * be kept; the map is emptied when full, so headers an attacker invents only
 * keep it from helping, never grow it.
 */
const knownHeaders = new Map<string, Readonly<Record<string, unknown>>>()
const KNOWN_HEADERS = 16

function checkedHeader (segment: string): Readonly<Record<string, unknown>> {
  const known = knownHeaders.get(segment)
  if (known !== undefined) return known
  const header = Object.freeze(jsonObjectWithoutDuplicates(segment))
  if (knownHeaders.size >= KNOWN_HEADERS) knownHeaders.clear()
  knownHeaders.set(segment, header)
  return header
}

/**
 * The checks fast-jwt (and so @fastify/jwt) does not make, run on the raw
 * token before it is handed to them: a size limit before any parsing, strict
 * base64url segments with the one canonical signature spelling (fast-jwt
 * decodes leniently, so unused bits would give one signature several
 * spellings), and no duplicate JSON member names in the header or the payload
 * (fast-jwt uses JSON.parse, which silently keeps the last one).
 */
export function precheckAccessToken (token: string): { header: Readonly<Record<string, unknown>> } {
  if (token.length > MAX_TOKEN_LENGTH) throw new AccessTokenError('The access token is too large')
  const parts = token.split('.')
  if (parts.length !== 3) throw malformed()
  const [header, payload, signature] = parts as [string, string, string]
  if (!BASE64URL.test(header) || !BASE64URL.test(payload) || !BASE64URL.test(signature) || !isCanonicalBase64url(signature)) throw malformed()
  const decodedHeader = checkedHeader(header)
  jsonObjectWithoutDuplicates(payload)
  return { header: decodedHeader }
}

/** exp plus the clock skew, the rule fast-jwt applies, on our clock (which tests can move). */
export const hasExpired = (exp: number, nowMs: number): boolean => nowMs > (exp + CLOCK_SKEW_SECONDS) * 1000

/**
 * The checks on a payload whose signature and registered claims fast-jwt
 * accepted that it does not make itself: an `iat` in the future (beyond the
 * skew) and the types of our own claims, by kind: a user token has sid and
 * auth_time (and client_id when issued through a client); a client token has
 * client_id equal to sub and neither sid nor auth_time.
 */
export function checkVerifiedClaims (payload: Record<string, unknown>, nowMs: number): VerifiedClaims {
  if (typeof payload.exp !== 'number') throw new AccessTokenError('The access token is invalid')
  if (hasExpired(payload.exp, nowMs)) throw new AccessTokenError('The access token expired')
  if (typeof payload.iat !== 'number' || payload.iat > nowMs / 1000 + CLOCK_SKEW_SECONDS) throw new AccessTokenError('The access token was issued in the future')
  if (typeof payload.sub !== 'string' || typeof payload.scope !== 'string' || typeof payload.jti !== 'string') {
    throw new AccessTokenError('The access token is invalid')
  }
  if (payload.sid === undefined) {
    if (typeof payload.client_id !== 'string' || payload.client_id !== payload.sub || payload.auth_time !== undefined) {
      throw new AccessTokenError('The access token is invalid')
    }
    return payload as unknown as ClientTokenClaims
  }
  if (typeof payload.sid !== 'string' || typeof payload.auth_time !== 'number' ||
      (payload.client_id !== undefined && typeof payload.client_id !== 'string') ||
      (payload.email_verified !== undefined && typeof payload.email_verified !== 'boolean') ||
      (payload.amr !== undefined && !(Array.isArray(payload.amr) && payload.amr.every(m => typeof m === 'string'))) ||
      (payload.acr !== undefined && typeof payload.acr !== 'string')) {
    throw new AccessTokenError('The access token is invalid')
  }
  return payload as unknown as AccessTokenClaims
}
