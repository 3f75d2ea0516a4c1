import { hashFormat } from './hash-format.js'
import { HashLimiter, type Slot } from './hash-limiter.js'
import { HashingThreads } from './hashing-threads.js'
import { argon2Scheme, type Argon2Parameters } from './schemes/argon2.js'
import { BCRYPT_MAX_BYTES, bcryptScheme, type CompareFunction } from './schemes/bcrypt.js'
import { LIBUV_RUNNER, threadRunner, type HashRunner } from './schemes/hash-runner.js'
import type { HashScheme } from './schemes/scheme.js'

export { BCRYPT_MAX_BYTES, hashCost, type CompareFunction } from './schemes/bcrypt.js'
export type { Argon2Parameters } from './schemes/argon2.js'

export type PasswordScheme = 'bcrypt' | 'argon2id'

/** pwdlib's `PasswordHash.recommended()`: `$argon2id$v=19$m=65536,t=3,p=4$…`. */
export const ARGON2_DEFAULTS: Argon2Parameters = { memoryKib: 65536, iterations: 3, parallelism: 4 }

export function normalizePassword (password: string): string {
  return password.normalize('NFKC')
}

/** New passwords stay within bcrypt's 72 bytes whatever the scheme, so any hash can move to either scheme. */
export function passwordTooLong (password: string): boolean {
  return Buffer.byteLength(normalizePassword(password), 'utf8') > BCRYPT_MAX_BYTES
}

/**
 * `source` is the client the work is done for (its IP, `request.ip`): the
 * hashing slots are shared round-robin between sources (hash-limiter.ts).
 */
export interface PasswordHasher {
  /** The scheme of new hashes (PASSWORD_HASH). */
  readonly scheme: PasswordScheme
  /** BCRYPT_COST: new bcrypt hashes, and the work of a bcrypt refusal. */
  readonly cost: number
  readonly limiter: HashLimiter
  hash: (password: string, source: string) => Promise<string>
  /**
   * Every refusal does the work of one verification at the configured
   * parameters of each scheme in use (see createPasswordHasher): an unknown
   * user or unusable hash is checked against dummy hashes, and a wrong
   * password for a bcrypt hash of a lower cost is padded (schemes/bcrypt.ts).
   */
  verify: (password: string, passwordHash: string | undefined, source: string) => Promise<boolean>
  /**
   * The stored hash is not of the configured scheme and parameters (passlib's
   * `deprecated="auto"`). With the password, false when the configured scheme
   * cannot hash it (an imported argon2 hash of a password over bcrypt's 72 bytes).
   */
  needsRehash: (passwordHash: string, password?: string) => boolean
  /**
   * Tells the hasher that a hash of this kind is stored (an import): from then
   * on refusals also do the work of its scheme. verify learns it by itself.
   */
  noteStoredHash: (passwordHash: string) => void
  /** Stops the hashing threads of the regular slots (they do not keep the process alive meanwhile). */
  close: () => Promise<void>
}

export interface HasherOptions {
  /** PASSWORD_HASH; bcrypt when left out. */
  scheme?: PasswordScheme
  /** BCRYPT_COST. */
  cost: number
  /** ARGON2_MEMORY_KIB, ARGON2_ITERATIONS, ARGON2_PARALLELISM; pwdlib's when left out. */
  argon2?: Argon2Parameters
  concurrency: number
  /** Slots only a source with no hash running may take (HASH_RESERVED_SLOTS); none when left out. */
  reservedSlots?: number
  queueMax: number
  /** Waiters at most from one source (HASH_QUEUE_MAX_PER_IP); queueMax when left out. */
  queueMaxPerSource?: number
  queueTimeoutMs: number
  /**
   * HASH_NICE: the regular slots hash on threads of their own at this nice
   * value (hashing-threads.ts); 0 or left out: every slot on libuv's pool.
   */
  nice?: number
  /** Called once if the operating system refuses that lower priority (the threads then run at normal priority). */
  onNiceRefused?: () => void
  /** bcrypt's compare; tests pass a wrapper that counts the work done. */
  compare?: CompareFunction
}

/**
 * All hashing is off the event loop and inside a limiter slot: on libuv's
 * thread pool (@node-rs/bcrypt and @node-rs/argon2's async calls), or, for
 * the regular slots when `nice` is set, on threads of lower priority
 * (hashing-threads.ts), so that a flood's hashes yield the CPU to the event
 * loop and to another client's login in a reserved slot.
 *
 * Refusals across schemes: a wrong password for a stored hash of the other
 * scheme (an imported argon2 hash with bcrypt configured, or a bcrypt hash
 * made before PASSWORD_HASH=argon2id) takes that scheme's time, not the
 * configured one's, and the two cannot be equalized exactly by padding
 * (different work functions) or by sleeping (see schemes/bcrypt.ts). So once
 * the process has met a stored hash of the other scheme, every refusal does
 * one verification of each scheme: the real one for the stored hash's scheme
 * and a dummy one for the other. Unknown users, wrong passwords and unusable
 * hashes then all cost one bcrypt plus one argon2 verification. Until then
 * (a store with one scheme only) a refusal costs the configured scheme alone.
 * The other scheme is built, and its dummy hash made, only when first needed.
 */
export async function createPasswordHasher (options: HasherOptions): Promise<PasswordHasher> {
  const { cost } = options
  const argon2 = options.argon2 ?? ARGON2_DEFAULTS
  const schemeName = options.scheme ?? 'bcrypt'
  const limiter = new HashLimiter({
    concurrency: options.concurrency,
    reservedSlots: options.reservedSlots ?? 0,
    maxQueue: options.queueMax,
    maxQueuePerSource: options.queueMaxPerSource ?? options.queueMax,
    queueTimeoutMs: options.queueTimeoutMs
  })
  const threads = options.nice !== undefined && options.nice > 0 ? new HashingThreads(options.nice, options.onNiceRefused) : undefined
  const regularRunner = threads === undefined ? LIBUV_RUNNER : threadRunner(threads)
  const runnerFor = (slot: Slot): HashRunner => slot === 'regular' ? regularRunner : LIBUV_RUNNER
  const makeBcrypt = (): HashScheme => bcryptScheme(cost, options.compare)
  const makeArgon2 = (): HashScheme => argon2Scheme(argon2)
  const configured = schemeName === 'bcrypt' ? makeBcrypt() : makeArgon2()
  let other: HashScheme | undefined

  const otherFamily = (passwordHash: string): boolean => {
    const format = hashFormat(passwordHash)
    return format !== undefined && !configured.owns(passwordHash)
  }
  const otherScheme = (): HashScheme => {
    other ??= schemeName === 'bcrypt' ? makeArgon2() : makeBcrypt()
    return other
  }
  const noteStoredHash = (passwordHash: string): void => {
    if (otherFamily(passwordHash)) otherScheme()
  }

  return {
    scheme: schemeName,
    cost,
    limiter,
    hash: async (password, source) => {
      const normalized = normalizePassword(password)
      if (!configured.accepts(normalized)) throw new RangeError(`password not accepted by ${schemeName}`)
      return await limiter.run(source, async slot => await configured.hash(normalized, runnerFor(slot)))
    },
    verify: async (password, passwordHash, source) => {
      const normalized = normalizePassword(password)
      if (passwordHash !== undefined) noteStoredHash(passwordHash)
      const owner = passwordHash === undefined
        ? undefined
        : configured.owns(passwordHash) ? configured : other?.owns(passwordHash) === true ? other : undefined
      const inUse = other === undefined ? [configured] : [configured, other]
      return await limiter.run(source, async slot => {
        const runner = runnerFor(slot)
        if (owner !== undefined && await owner.verify(normalized, passwordHash, runner)) return true
        for (const scheme of inUse) {
          if (scheme !== owner) await scheme.verify(normalized, undefined, runner)
        }
        return false
      })
    },
    needsRehash: (passwordHash, password) =>
      !configured.isCurrent(passwordHash) && (password === undefined || configured.accepts(normalizePassword(password))),
    noteStoredHash,
    close: async () => { await threads?.close() }
  }
}
