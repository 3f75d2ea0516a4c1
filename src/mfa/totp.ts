import { Secret, TOTP } from 'otpauth'

/**
 * RFC 6238 as every authenticator app reads it: HMAC-SHA-1, 6 digits, 30 s
 * steps, a 160-bit secret in base32 (RFC 4226 §4 recommends 160 bits).
 */
export const TOTP_PERIOD_SECONDS = 30
const DIGITS = 6
const SECRET_BYTES = 20
/** Accepted clock drift, in steps either side of now. */
const DRIFT_STEPS = 1

const totpOf = (secret: string, issuer = '', label = ''): TOTP =>
  new TOTP({ issuer, label, algorithm: 'SHA1', digits: DIGITS, period: TOTP_PERIOD_SECONDS, secret: Secret.fromBase32(secret) })

/** A new random secret, base32 without padding. */
export function newTotpSecret (): string {
  return new Secret({ size: SECRET_BYTES }).base32
}

/** The Key Uri Format authenticator apps scan: otpauth://totp/<issuer>:<username>?secret=…&issuer=… */
export function otpauthUri (secret: string, issuer: string, username: string): string {
  return totpOf(secret, issuer, username).toString()
}

/** A code is six digits (spaces, which apps show in the middle, are dropped first). */
export function normalizeCode (code: string): string | undefined {
  const digits = code.replace(/\s+/g, '')
  return /^\d{6}$/.test(digits) ? digits : undefined
}

/**
 * The time step `code` belongs to, now or ±1 step of drift; undefined when it
 * matches none. The caller records the step (replay protection).
 */
export function matchingStep (secret: string, code: string, nowMs: number): number | undefined {
  const digits = normalizeCode(code)
  if (digits === undefined) return undefined
  const delta = totpOf(secret).validate({ token: digits, timestamp: nowMs, window: DRIFT_STEPS })
  return delta === null ? undefined : Math.floor(nowMs / 1000 / TOTP_PERIOD_SECONDS) + delta
}
