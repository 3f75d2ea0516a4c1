import { compare, hash } from '@node-rs/bcrypt'
import { HashLimiter } from './hash-limiter.js'

/** bcrypt reads at most 72 bytes; longer passwords are refused rather than truncated. */
export const BCRYPT_MAX_BYTES = 72

export function normalizePassword (password: string): string {
  return password.normalize('NFKC')
}

export function passwordTooLong (password: string): boolean {
  return Buffer.byteLength(normalizePassword(password), 'utf8') > BCRYPT_MAX_BYTES
}

const BCRYPT_HASH = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/

export function hashCost (passwordHash: string): number | undefined {
  const match = BCRYPT_HASH.exec(passwordHash)
  return match === null ? undefined : Number(match[1])
}

export interface PasswordHasher {
  readonly cost: number
  readonly limiter: HashLimiter
  hash: (password: string) => Promise<string>
  /** Compares in constant work: an unknown user is checked against a dummy hash of the same cost. */
  verify: (password: string, passwordHash: string | undefined) => Promise<boolean>
  needsRehash: (passwordHash: string) => boolean
}

export interface HasherOptions {
  cost: number
  concurrency: number
  queueMax: number
  queueTimeoutMs: number
}

/** All hashing is async on @node-rs/bcrypt's worker threads, never on the event loop. */
export async function createPasswordHasher (options: HasherOptions): Promise<PasswordHasher> {
  const { cost } = options
  const limiter = new HashLimiter(options.concurrency, options.queueMax, options.queueTimeoutMs)
  // Computed in the background so that it does not delay start-up; the first
  // verification that needs it waits for it. A failure surfaces there, not as
  // an unhandled rejection.
  const dummyHash = hash('gatehouse-dummy-password-for-unknown-users', cost)
  dummyHash.catch(() => {})

  return {
    cost,
    limiter,
    hash: async (password) => {
      const normalized = normalizePassword(password)
      if (Buffer.byteLength(normalized, 'utf8') > BCRYPT_MAX_BYTES) throw new RangeError('password longer than 72 bytes')
      return await limiter.run(async () => await hash(normalized, cost))
    },
    verify: async (password, passwordHash) => {
      const normalized = normalizePassword(password)
      const usable = passwordHash !== undefined && hashCost(passwordHash) !== undefined
      const tooLong = Buffer.byteLength(normalized, 'utf8') > BCRYPT_MAX_BYTES
      // Always do one bcrypt comparison so that every refusal costs the same time.
      const target = usable && !tooLong ? passwordHash : await dummyHash
      const candidate = tooLong ? normalized.slice(0, 8) : normalized
      const matches = await limiter.run(async () => await compare(candidate, target))
      return matches && usable && !tooLong
    },
    needsRehash: (passwordHash) => hashCost(passwordHash) !== cost || !passwordHash.startsWith('$2b$')
  }
}
