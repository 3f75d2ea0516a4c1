import { createHash, randomBytes } from 'node:crypto'

export const RECOVERY_CODE_COUNT = 10
/** Crockford-like base32 without look-alikes (no i, l, o, u). */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'
const GROUPS = 4
const GROUP_LENGTH = 4

/**
 * Ten single-use codes of 80 random bits each, shown once as `xxxx-xxxx-xxxx-xxxx`
 * and stored only as SHA-256 hashes: 80 bits are out of reach of an offline
 * search, so a fast hash is enough.
 */
export function newRecoveryCodes (): Array<{ code: string, hash: string }> {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const bytes = randomBytes(GROUPS * GROUP_LENGTH)
    const chars = [...bytes].map(b => ALPHABET[b & 31] as string).join('')
    const code = chars.match(new RegExp(`.{${GROUP_LENGTH}}`, 'g'))?.join('-') ?? chars
    return { code, hash: recoveryCodeHash(code) as string }
  })
}

/** The hash of a code as typed (case, dashes and spaces do not matter); undefined when it cannot be one. */
export function recoveryCodeHash (typed: string): string | undefined {
  const normalized = typed.toLowerCase().replace(/[\s-]+/g, '')
  if (normalized.length !== GROUPS * GROUP_LENGTH || ![...normalized].every(c => ALPHABET.includes(c))) return undefined
  return createHash('sha256').update(normalized).digest('base64url')
}
