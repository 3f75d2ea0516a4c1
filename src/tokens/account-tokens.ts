import { createHash, randomBytes } from 'node:crypto'

/**
 * The one-time tokens mailed to a user (password reset, email verification):
 * 256 random bits, shown once in the mail, stored only as their SHA-256. A
 * token copied from a mail may carry stray spaces or a line break; the
 * pattern is checked after trimming.
 */
export const ACCOUNT_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/

export interface NewAccountToken {
  token: string
  hash: string
}

export function newAccountToken (): NewAccountToken {
  const token = randomBytes(32).toString('base64url')
  return { token, hash: hashAccountToken(token) }
}

export function hashAccountToken (token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}

/** The hash of a well-formed token, or undefined (no lookup is needed for a malformed one). */
export function accountTokenHashOf (raw: string): string | undefined {
  const token = raw.trim()
  return ACCOUNT_TOKEN_PATTERN.test(token) ? hashAccountToken(token) : undefined
}
