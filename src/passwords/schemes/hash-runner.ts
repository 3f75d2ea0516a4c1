import { compare as bcryptCompare, hash as bcryptHash } from '@node-rs/bcrypt'
import { hash as argon2Hash, verify as argon2Verify, type Options } from '@node-rs/argon2'
import type { HashingThreads } from '../hashing-threads.js'

/** Where a scheme's native work runs: libuv's thread pool, or threads of lower priority (hashing-threads.ts). */
export interface HashRunner {
  bcryptCompare: (password: string, passwordHash: string) => Promise<boolean>
  bcryptHash: (password: string, cost: number) => Promise<string>
  argon2Verify: (passwordHash: string, password: string) => Promise<boolean>
  argon2Hash: (password: string, options: Options) => Promise<string>
}

/** The native libraries' async calls, on libuv's thread pool at the process's priority. */
export const LIBUV_RUNNER: HashRunner = {
  bcryptCompare,
  bcryptHash: async (password, cost) => await bcryptHash(password, cost),
  argon2Verify: async (passwordHash, password) => await argon2Verify(passwordHash, password),
  argon2Hash: async (password, options) => await argon2Hash(password, options)
}

/** The same calls, each run synchronously on an idle thread of `threads`. */
export function threadRunner (threads: HashingThreads): HashRunner {
  return {
    bcryptCompare: async (password, hash) => await threads.run({ op: 'bcrypt-verify', password, hash }) as boolean,
    bcryptHash: async (password, cost) => await threads.run({ op: 'bcrypt-hash', password, cost }) as string,
    argon2Verify: async (hash, password) => await threads.run({ op: 'argon2-verify', password, hash }) as boolean,
    argon2Hash: async (password, options) => await threads.run({ op: 'argon2-hash', password, options }) as string
  }
}
