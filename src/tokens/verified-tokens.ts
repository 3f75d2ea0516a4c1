import { LRUCache } from 'lru-cache'
import { createDoorkeeper } from '../caching/doorkeeper.js'
import { AccessTokenError, hasExpired, type VerifiedClaims } from './access-tokens.js'

export interface VerifiedTokens {
  /** The remembered claims of an accepted token, undefined when not remembered; throws once it has expired. */
  get: (token: string) => Readonly<VerifiedClaims> | undefined
  set: (token: string, claims: Readonly<VerifiedClaims>) => void
}

/**
 * Everything a verification checks depends only on the token's bytes and the
 * keys, except expiry: so an accepted token is remembered (frozen, by its
 * exact string) and only its expiry is checked again. Revocation is not
 * decided here: the caller checks the session on every request.
 * Once full, a token is admitted only on its second verification within the
 * doorkeeper's window (src/caching/doorkeeper.ts): more distinct tokens than
 * the cache holds then cost what no cache costs, and do not evict the tokens
 * in use. A size of 0 remembers nothing.
 */
export function createVerifiedTokens (size: number, now: () => number = Date.now): VerifiedTokens {
  if (size <= 0) return { get: () => undefined, set: () => {} }
  const cache = new LRUCache<string, Readonly<VerifiedClaims>>({ max: size })
  const doorkeeper = createDoorkeeper(size)
  return {
    get (token) {
      const remembered = cache.get(token)
      if (remembered !== undefined && hasExpired(remembered.exp, now())) {
        cache.delete(token)
        throw new AccessTokenError('The access token expired')
      }
      return remembered
    },
    set (token, claims) {
      if (cache.size >= size && !doorkeeper.seenBefore(token)) return
      cache.set(token, claims)
    }
  }
}
