import type { HashRunner } from './hash-runner.js'

/**
 * One hashing scheme behind the PasswordHasher (password-hasher.ts). All
 * methods take the NFKC-normalized password and run their native work on
 * `runner` (libuv's thread pool when left out), called inside a
 * hashing-limiter slot.
 */
export interface HashScheme {
  readonly name: 'bcrypt' | 'argon2id'
  /** Whether this scheme can verify the stored hash (the hash's family). */
  owns: (passwordHash: string) => boolean
  /** Whether a new hash of this password is possible (bcrypt: at most 72 bytes). */
  accepts: (password: string) => boolean
  hash: (password: string, runner?: HashRunner) => Promise<string>
  /**
   * Checks the password against an owned hash, or against this scheme's dummy
   * hash when `passwordHash` is undefined. A refusal has always done the work
   * of one verification at the configured parameters (or more, for a hash of
   * higher parameters).
   */
  verify: (password: string, passwordHash: string | undefined, runner?: HashRunner) => Promise<boolean>
  /** The hash is of this scheme with exactly the configured parameters and variant. */
  isCurrent: (passwordHash: string) => boolean
}
