import { hash as argon2Hash, type Options } from '@node-rs/argon2'
import { hashFormat } from '../hash-format.js'
import { LIBUV_RUNNER } from './hash-runner.js'
import type { HashScheme } from './scheme.js'

export interface Argon2Parameters {
  memoryKib: number
  iterations: number
  parallelism: number
}

// @node-rs/argon2's `Algorithm` is a const enum, which isolated modules cannot
// inline: its values are Argon2i = 1, Argon2id = 2.
const ARGON2ID = 2 as Options['algorithm']

/** Argon2id for new hashes; verifies argon2id and argon2i PHC strings of any (sane) parameters. */
export function argon2Scheme (parameters: Argon2Parameters): HashScheme {
  const options: Options = {
    algorithm: ARGON2ID,
    memoryCost: parameters.memoryKib,
    timeCost: parameters.iterations,
    parallelism: parameters.parallelism
  }
  const dummyHash = argon2Hash('gatehouse-dummy-password-for-unknown-users', options)
  dummyHash.catch(() => {})

  const owns = (passwordHash: string): boolean => hashFormat(passwordHash)?.scheme.startsWith('argon2') === true
  return {
    name: 'argon2id',
    owns,
    // Argon2 has no length limit of its own; the password policy bounds new passwords.
    accepts: () => true,
    hash: async (password, runner = LIBUV_RUNNER) => await runner.argon2Hash(password, options),
    verify: async (password, passwordHash, runner = LIBUV_RUNNER) => {
      const usable = passwordHash !== undefined && owns(passwordHash)
      const matches = await runner.argon2Verify(usable ? passwordHash : await dummyHash, password)
      // Argon2's work is memory × passes and cannot be padded exactly the way
      // bcrypt's costs can: a refusal for a hash of other parameters takes
      // their time until needsRehash replaces it at the next successful login.
      return matches && usable
    },
    isCurrent: passwordHash => {
      const format = hashFormat(passwordHash)
      return format?.scheme === 'argon2id' && format.memoryKib === parameters.memoryKib &&
        format.iterations === parameters.iterations && format.parallelism === parameters.parallelism
    }
  }
}
