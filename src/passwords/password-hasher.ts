import { compare as bcryptCompare, hash } from '@node-rs/bcrypt'
import { hashFormat } from './hash-format.js'
import { HashLimiter } from './hash-limiter.js'

/** bcrypt reads at most 72 bytes; longer passwords are refused rather than truncated. */
export const BCRYPT_MAX_BYTES = 72

export function normalizePassword (password: string): string {
  return password.normalize('NFKC')
}

export function passwordTooLong (password: string): boolean {
  return Buffer.byteLength(normalizePassword(password), 'utf8') > BCRYPT_MAX_BYTES
}

/** The cost of a bcrypt hash that @node-rs/bcrypt can verify, else undefined. */
export function hashCost (passwordHash: string): number | undefined {
  const format = hashFormat(passwordHash)
  return format?.scheme === 'bcrypt' ? format.cost : undefined
}

/** The same salt and digest at another cost: comparing against it does that cost's work. */
function atCost (passwordHash: string, cost: number): string {
  return `${passwordHash.slice(0, 4)}${String(cost).padStart(2, '0')}${passwordHash.slice(6)}`
}

export type CompareFunction = (password: string, passwordHash: string) => Promise<boolean>

/**
 * `source` is the client the work is done for (its IP, `request.ip`): the
 * hashing slots are shared round-robin between sources (hash-limiter.ts).
 */
export interface PasswordHasher {
  readonly cost: number
  readonly limiter: HashLimiter
  hash: (password: string, source: string) => Promise<string>
  /**
   * Every refusal does the work of one comparison at the configured cost: an
   * unknown user or unusable hash is checked against a dummy hash of that
   * cost, and a wrong password for a hash of a lower cost is padded (see below).
   */
  verify: (password: string, passwordHash: string | undefined, source: string) => Promise<boolean>
  needsRehash: (passwordHash: string) => boolean
}

export interface HasherOptions {
  cost: number
  concurrency: number
  /** Slots only a source with no hash running may take (HASH_RESERVED_SLOTS); none when left out. */
  reservedSlots?: number
  queueMax: number
  /** Waiters at most from one source (HASH_QUEUE_MAX_PER_IP); queueMax when left out. */
  queueMaxPerSource?: number
  queueTimeoutMs: number
  /** bcrypt's compare; tests pass a wrapper that counts the work done. */
  compare?: CompareFunction
}

/** All hashing is async on @node-rs/bcrypt's worker threads, never on the event loop. */
export async function createPasswordHasher (options: HasherOptions): Promise<PasswordHasher> {
  const { cost } = options
  const compare = options.compare ?? bcryptCompare
  const limiter = new HashLimiter({
    concurrency: options.concurrency,
    reservedSlots: options.reservedSlots ?? 0,
    maxQueue: options.queueMax,
    maxQueuePerSource: options.queueMaxPerSource ?? options.queueMax,
    queueTimeoutMs: options.queueTimeoutMs
  })
  // Computed in the background so that it does not delay start-up; the first
  // verification that needs it waits for it. A failure surfaces there, not as
  // an unhandled rejection.
  const dummyHash = hash('gatehouse-dummy-password-for-unknown-users', cost)
  dummyHash.catch(() => {})

  return {
    cost,
    limiter,
    hash: async (password, source) => {
      const normalized = normalizePassword(password)
      if (Buffer.byteLength(normalized, 'utf8') > BCRYPT_MAX_BYTES) throw new RangeError('password longer than 72 bytes')
      return await limiter.run(source, async () => await hash(normalized, cost))
    },
    verify: async (password, passwordHash, source) => {
      const normalized = normalizePassword(password)
      const tooLong = Buffer.byteLength(normalized, 'utf8') > BCRYPT_MAX_BYTES
      const storedCost = passwordHash === undefined || tooLong ? undefined : hashCost(passwordHash)
      const usable = storedCost !== undefined
      const target = passwordHash !== undefined && usable ? passwordHash : await dummyHash
      const candidate = tooLong ? normalized.slice(0, 8) : normalized
      return await limiter.run(source, async () => {
        if (await compare(candidate, target) && usable) return true
        // bcrypt's work is proportional to 2^cost, so a refusal for a stored
        // hash of cost c < C (made before BCRYPT_COST was raised) would take
        // 2^c/2^C of the time of every other refusal and tell such accounts
        // apart. It also compares at costs c, c+1, ..., C-1 (2^C - 2^c): the
        // same work as one cost-C comparison, on the same worker threads,
        // inside the same limiter slot so that it queues like one too. A timer
        // that sleeps up to a measured cost-C time would spare the CPU but is
        // not exact: under load the real comparisons of the other refusals
        // slow down (CPU and thread-pool contention) and a sleep does not, so
        // the gap would reappear exactly when an attacker loads the service.
        // A hash of a higher cost cannot be sped up; needsRehash replaces it
        // at the next successful login.
        for (let padCost = storedCost ?? cost; padCost < cost; padCost++) {
          await compare(candidate, atCost(target, padCost))
        }
        return false
      })
    },
    needsRehash: (passwordHash) => hashCost(passwordHash) !== cost || !passwordHash.startsWith('$2b$')
  }
}
