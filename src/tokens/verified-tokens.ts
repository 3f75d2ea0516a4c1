import { LRUCache } from 'lru-cache'
import { AccessTokenError, hasExpired, type AccessTokenClaims } from './access-tokens.js'

export interface VerifiedTokens {
  /** The remembered claims of an accepted token, undefined when not remembered; throws once it has expired. */
  get: (token: string) => Readonly<AccessTokenClaims> | undefined
  set: (token: string, claims: Readonly<AccessTokenClaims>) => void
}

/**
 * Everything a verification checks depends only on the token's bytes and the
 * keys, except expiry: so an accepted token is remembered (frozen, by its
 * exact string) and only its expiry is checked again. Revocation is not
 * decided here: the caller checks the session on every request.
 * A size of 0 remembers nothing.
 */
export function createVerifiedTokens (size: number, now: () => number = Date.now): VerifiedTokens {
  if (size <= 0) return { get: () => undefined, set: () => {} }
  const cache = new LRUCache<string, Readonly<AccessTokenClaims>>({ max: size })
  return {
    get (token) {
      const remembered = cache.get(token)
      if (remembered !== undefined && hasExpired(remembered.exp, now())) {
        cache.delete(token)
        throw new AccessTokenError('The access token expired')
      }
      return remembered
    },
    set (token, claims) { cache.set(token, claims) }
  }
}
