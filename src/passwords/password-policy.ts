import { createRequire } from 'node:module'
import { BCRYPT_MAX_BYTES, normalizePassword } from './password-hasher.js'

const MIN_PASSWORD_BYTES = 8
/** A shorter username ("bob", "ann") inside a password is too common to refuse. */
const MIN_CONTAINED_USERNAME_CHARS = 4

let commonPasswords: Set<string> | undefined

/**
 * zxcvbn's list of the most common passwords from public breach corpora
 * (@zxcvbn-ts/language-common, ~49,000 entries), loaded once on first use.
 */
function commonPasswordSet (): Set<string> {
  if (commonPasswords === undefined) {
    const require = createRequire(import.meta.url)
    const { dictionary } = require('@zxcvbn-ts/language-common') as { dictionary: { 'passwords-common': string[] } }
    commonPasswords = new Set(dictionary['passwords-common'].map(p => p.toLowerCase()))
  }
  return commonPasswords
}

export function commonPasswordCount (): number {
  return commonPasswordSet().size
}

/** Returns the rule a new password breaks, or undefined when it is acceptable. */
export function passwordPolicyViolation (password: string, username: string): string | undefined {
  const normalized = normalizePassword(password)
  const bytes = Buffer.byteLength(normalized, 'utf8')
  if (bytes < MIN_PASSWORD_BYTES) return `Password must be at least ${MIN_PASSWORD_BYTES} bytes long`
  if (bytes > BCRYPT_MAX_BYTES) return `Password must be at most ${BCRYPT_MAX_BYTES} bytes long (bcrypt ignores the rest)`
  const lowerPassword = normalized.toLowerCase()
  const lowerUsername = username.normalize('NFKC').toLowerCase()
  if (lowerPassword === lowerUsername) return 'Password must not be the username'
  if ([...lowerUsername].length >= MIN_CONTAINED_USERNAME_CHARS && lowerPassword.includes(lowerUsername)) {
    return 'Password must not contain the username'
  }
  if (commonPasswordSet().has(lowerPassword)) return 'Password is too common: it appears in a list of commonly used passwords'
  return undefined
}
