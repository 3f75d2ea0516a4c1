import { isIP } from 'node:net'

/**
 * Which peers may set X-Forwarded-For / -Proto / -Host, in Fastify's
 * `trustProxy` forms: false (none), a hop count, a list of proxy addresses
 * and CIDR ranges, or true (every hop, so the client-written leftmost
 * X-Forwarded-For entry becomes the client address).
 */
export type TrustProxy = boolean | number | string[]

/** proxy-addr's named ranges, accepted as list entries. */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal'])
const MAX_HOPS = 64

function addressProblem (entry: string): string | undefined {
  if (NAMED_RANGES.has(entry)) return undefined
  const slash = entry.indexOf('/')
  const address = slash === -1 ? entry : entry.slice(0, slash)
  const family = isIP(address)
  if (family === 0) return `"${entry}" is not an IP address or CIDR range`
  if (slash === -1) return undefined
  const prefix = entry.slice(slash + 1)
  const bits = family === 4 ? 32 : 128
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > bits) return `"${entry}" has a bad prefix length (0 to ${bits})`
  return undefined
}

/** Parses TRUST_PROXY; returns the value for Fastify or the problems with it. */
export function parseTrustProxy (raw: string): { value: TrustProxy, problems: string[] } {
  const value = raw.trim()
  if (value === '' || value.toLowerCase() === 'false') return { value: false, problems: [] }
  if (value.toLowerCase() === 'true') return { value: true, problems: [] }
  if (/^\d+$/.test(value)) {
    const hops = Number(value)
    if (hops > MAX_HOPS) return { value: false, problems: [`a hop count must be 0 to ${MAX_HOPS} (got ${value})`] }
    return { value: hops === 0 ? false : hops, problems: [] }
  }
  const entries = value.split(',').map(s => s.trim()).filter(s => s !== '')
  const problems = entries.map(addressProblem).filter((p): p is string => p !== undefined)
  return { value: entries, problems }
}

/**
 * The value for Fastify's `trustProxy` option. Fastify 5.12 ignores a number
 * there (it trusts no hop, because a count cannot tell a proxy from a client
 * that connects directly), so a count becomes a function of the hop index:
 * with 1, the socket peer is trusted and request.ip is the rightmost
 * X-Forwarded-For entry, the one that proxy added.
 */
export function fastifyTrustProxy (value: TrustProxy): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof value !== 'number') return value
  return (_address, hop) => hop < value
}
