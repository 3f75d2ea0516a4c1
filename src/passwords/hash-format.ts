/**
 * What a stored password hash is, read from its text alone: the scheme and
 * its work parameters. Used to decide whether a hash can be verified at all,
 * whether it must be re-hashed (scheme or parameters differ from the
 * configured ones) and whether an imported hash is acceptable.
 */
export type HashFormat =
  | { scheme: 'bcrypt', cost: number }
  | { scheme: 'argon2id' | 'argon2i', memoryKib: number, iterations: number, parallelism: number }

// The last character of the 22-character salt carries 2 bits and that of the
// 31-character digest 4: @node-rs/bcrypt answers `false` at once, with no
// work, for any other character there (or a cost outside 4-31), so such a
// hash would answer faster than every other refusal. It is unusable instead.
const BCRYPT_HASH = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{21}[.Oeu][./A-Za-z0-9]{30}[.CGKOSWaeimquy26]$/
export const BCRYPT_MIN_COST = 4
export const BCRYPT_MAX_COST = 31

// PHC string format as argon2-cffi, pwdlib and @node-rs/argon2 write it; the
// salt and digest are unpadded standard base64 (salt ≥ 8 bytes, digest ≥ 4).
const ARGON2_HASH = /^\$(argon2id|argon2i)\$v=19\$m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,3})\$([A-Za-z0-9+/]{11,})\$([A-Za-z0-9+/]{6,})$/
// RFC 9106's bounds: memory at least 8 × parallelism KiB; these maxima keep a
// hostile imported hash from asking for more than 4 GiB or 2^16 passes.
export const ARGON2_MAX_MEMORY_KIB = 4 * 1024 * 1024
export const ARGON2_MAX_ITERATIONS = 65536

export function hashFormat (passwordHash: string): HashFormat | undefined {
  const bcrypt = BCRYPT_HASH.exec(passwordHash)
  if (bcrypt !== null) {
    const cost = Number(bcrypt[1])
    return cost >= BCRYPT_MIN_COST && cost <= BCRYPT_MAX_COST ? { scheme: 'bcrypt', cost } : undefined
  }
  const argon2 = ARGON2_HASH.exec(passwordHash)
  if (argon2 !== null) {
    const memoryKib = Number(argon2[2])
    const iterations = Number(argon2[3])
    const parallelism = Number(argon2[4])
    const fits = parallelism >= 1 && iterations >= 1 && iterations <= ARGON2_MAX_ITERATIONS &&
      memoryKib >= 8 * parallelism && memoryKib <= ARGON2_MAX_MEMORY_KIB
    return fits ? { scheme: argon2[1] as 'argon2id' | 'argon2i', memoryKib, iterations, parallelism } : undefined
  }
  return undefined
}
