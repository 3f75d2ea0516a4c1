import { hash as bcryptHash } from '@node-rs/bcrypt'
import { hashFormat } from '../hash-format.js'
import { LIBUV_RUNNER } from './hash-runner.js'
import type { HashScheme } from './scheme.js'

/** bcrypt reads at most 72 bytes; longer passwords are refused rather than truncated. */
export const BCRYPT_MAX_BYTES = 72

export type CompareFunction = (password: string, passwordHash: string) => Promise<boolean>

/** The cost of a bcrypt hash that @node-rs/bcrypt can verify, else undefined. */
export function hashCost (passwordHash: string): number | undefined {
  const format = hashFormat(passwordHash)
  return format?.scheme === 'bcrypt' ? format.cost : undefined
}

/** The same salt and digest at another cost: comparing against it does that cost's work. */
function atCost (passwordHash: string, cost: number): string {
  return `${passwordHash.slice(0, 4)}${String(cost).padStart(2, '0')}${passwordHash.slice(6)}`
}

const tooLong = (password: string): boolean => Buffer.byteLength(password, 'utf8') > BCRYPT_MAX_BYTES

/** `countedCompare` replaces the runner's compare: tests pass a wrapper that counts the work done. */
export function bcryptScheme (cost: number, countedCompare?: CompareFunction): HashScheme {
  // Computed in the background so that it does not delay start-up; the first
  // verification that needs it waits for it. A failure surfaces there, not as
  // an unhandled rejection.
  const dummyHash = bcryptHash('gatehouse-dummy-password-for-unknown-users', cost)
  dummyHash.catch(() => {})

  return {
    name: 'bcrypt',
    owns: passwordHash => hashCost(passwordHash) !== undefined,
    accepts: password => !tooLong(password),
    hash: async (password, runner = LIBUV_RUNNER) => {
      if (tooLong(password)) throw new RangeError('password longer than 72 bytes')
      return await runner.bcryptHash(password, cost)
    },
    verify: async (password, passwordHash, runner = LIBUV_RUNNER) => {
      const compare = countedCompare ?? runner.bcryptCompare
      // A password over 72 bytes never matches (it was refused when set); it
      // is checked truncated so that its refusal does the same work.
      const long = tooLong(password)
      const storedCost = passwordHash === undefined || long ? undefined : hashCost(passwordHash)
      const usable = storedCost !== undefined
      const target = passwordHash !== undefined && usable ? passwordHash : await dummyHash
      const candidate = long ? password.slice(0, 8) : password
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
    },
    isCurrent: passwordHash => passwordHash.startsWith('$2b$') && hashCost(passwordHash) === cost
  }
}
