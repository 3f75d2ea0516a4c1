import buildGetJwks from 'get-jwks'

const DEFAULT_TTL_SECONDS = 300
const MAX_KID_LENGTH = 128
const FETCH_TIMEOUT_MS = 5000

/** A refusal the routes answer with 401 invalid_token; the message is ours, never the token's. */
export class TokenRefused extends Error {}

/** gatehouse's JWKS could not be fetched (and no fresh copy of the key is cached): answered 503. */
export class KeysUnavailable extends Error {}

/**
 * The JWKS cache lifetime: the setting, or else the max-age gatehouse sends
 * with its JWKS (JWKS_MAX_AGE_SECONDS there), read once at start.
 */
export async function jwksTtlSeconds (settings, log) {
  if (settings.jwksTtlSeconds !== undefined) return settings.jwksTtlSeconds
  try {
    const res = await fetch(`${settings.issuer}/.well-known/jwks.json`, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) })
    const maxAge = /(?:^|,)\s*max-age=(\d+)/.exec(res.headers.get('cache-control') ?? '')?.[1]
    if (res.ok && maxAge !== undefined && Number(maxAge) > 0) return Number(maxAge)
  } catch (err) {
    log.warn({ err }, 'could not read the JWKS max-age from gatehouse')
  }
  return DEFAULT_TTL_SECONDS
}

/**
 * The public key (PEM) of a kid, from gatehouse's JWKS through get-jwks,
 * matched on the pinned algorithm. Two things get-jwks does not do:
 * - It falls back to its stale cache when a refetch fails, and also when the
 *   refetched set no longer holds the kid, storing that fallback again: a
 *   retired key would go on verifying while traffic keeps it warm. The stale
 *   fallback is turned off, so a retired key is refused once its entry is
 *   older than the TTL (and a gatehouse outage longer than the TTL refuses
 *   tokens: fail closed).
 * - It fetches the JWKS for every kid it has not cached, so junk tokens with
 *   made-up kids would each cost gatehouse a request. A kid never seen valid
 *   is looked up at most once per cooldown after a miss, one at a time; kids
 *   that verified before are always refetched (their TTL ran out).
 */
export function createKeyLookup ({ issuer, algorithm, ttlSeconds, missCooldownSeconds, now = Date.now }) {
  const getJwks = buildGetJwks({ ttl: ttlSeconds * 1000, max: 100, issuersWhitelist: [issuer] })
  getJwks.staleCache.get = () => undefined
  const knownKids = new Set()
  let lastMissAt = -Infinity
  let unknownKidLookups = Promise.resolve()

  async function fetchKey (kid) {
    let timer
    const timeout = new Promise((resolve, reject) => { timer = setTimeout(() => { reject(new Error('JWKS fetch timed out')) }, FETCH_TIMEOUT_MS) })
    try {
      // The domain is the configured issuer, never the token's iss: a token cannot choose where keys come from.
      const key = await Promise.race([getJwks.getPublicKey({ domain: issuer, alg: algorithm, kid }), timeout])
      if (knownKids.size >= 1000) knownKids.clear()
      knownKids.add(kid)
      return key
    } catch (err) {
      if (err?.code === 'JWK_NOT_FOUND' || err?.code === 'NO_JWKS') {
        if (!knownKids.delete(kid)) lastMissAt = now()
        throw new TokenRefused('The access token was signed with an unknown key')
      }
      throw new KeysUnavailable('Could not fetch the signing keys from gatehouse', { cause: err })
    } finally {
      clearTimeout(timer)
    }
  }

  return async function publicKeyOf (kid) {
    if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) throw new TokenRefused('The access token has no valid key id')
    if (knownKids.has(kid) || getJwks.cache.has(getJwks.generateCacheKey(algorithm, kid, `${issuer}/`))) return await fetchKey(kid)
    const turn = unknownKidLookups.then(async () => {
      if (now() - lastMissAt < missCooldownSeconds * 1000) throw new TokenRefused('The access token was signed with an unknown key')
      return await fetchKey(kid)
    })
    unknownKidLookups = turn.catch(() => {})
    return await turn
  }
}
