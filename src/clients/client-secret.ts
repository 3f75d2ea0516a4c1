import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * Client secrets are 256 random bits made by us, never chosen by a person,
 * so a fast hash stores them safely: SHA-256 of a secret with 256 bits of
 * entropy cannot be reversed by guessing. A password hash (bcrypt, Argon2id)
 * would add nothing but cost, and every introspection call authenticates.
 */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9._~-]{3,64}$/
export const CLIENT_SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/

export interface NewClientSecret {
  secret: string
  hash: string
}

export function newClientId (): string {
  return `client-${randomBytes(12).toString('base64url')}`
}

export function newClientSecret (): NewClientSecret {
  const secret = randomBytes(32).toString('base64url')
  return { secret, hash: hashClientSecret(secret) }
}

export function hashClientSecret (secret: string): string {
  return createHash('sha256').update(secret).digest('base64url')
}

/** Constant-time in the secret: both sides are hashed to 32 bytes before the comparison. */
export function clientSecretMatches (presented: string, storedHash: string | null): boolean {
  const expected = Buffer.from(storedHash ?? '', 'base64url')
  const actual = createHash('sha256').update(presented).digest()
  // A public client (no hash) is compared against zeros, so it fails in the same time.
  return timingSafeEqual(actual, expected.length === 32 ? expected : Buffer.alloc(32)) && expected.length === 32
}
