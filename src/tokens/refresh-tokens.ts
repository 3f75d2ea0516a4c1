import { createHash, randomBytes } from 'node:crypto'

/** Opaque refresh tokens: 256 random bits; only their SHA-256 is ever stored. */
export interface NewRefreshToken {
  token: string
  hash: string
}

export const REFRESH_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/

export function newRefreshToken (): NewRefreshToken {
  const token = randomBytes(32).toString('base64url')
  return { token, hash: hashRefreshToken(token) }
}

export function hashRefreshToken (token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}

export function newSessionId (): string {
  return randomBytes(16).toString('base64url')
}
