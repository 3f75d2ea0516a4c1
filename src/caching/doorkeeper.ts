/**
 * TinyLFU's doorkeeper: a Bloom filter of the keys that missed a full cache
 * recently. A full cache admits a key only on its second miss within a window
 * (`seenBefore` true), so a scan of keys seen once (more distinct live tokens
 * than the cache holds) neither evicts the entries that are in use nor pays an
 * insertion and an eviction per request; a key in real use is admitted the
 * second time it misses. The window is `capacity` recorded misses: then the
 * filter starts empty again, so what was seen long ago does not count.
 *
 * Only hashes are kept (no strings are retained). A false positive admits a
 * key early, never refuses one: it costs a little churn, never correctness.
 */
export interface Doorkeeper {
  /** Records a miss of `key`; true if it had already missed in this window. */
  seenBefore: (key: string) => boolean
  clear: () => void
}

/** 16 bits per key of the window: with two hash functions under 1.5 % false positives when the window is full. */
const BITS_PER_KEY = 16

/**
 * Only a key's last characters are hashed. The keys here end in something
 * random (a token in its signature, a session id is random throughout), and a
 * collision only admits a key early; hashing a whole 440-character token cost
 * about as much as the cache look-up it guards.
 */
const HASHED_TAIL = 64

/** MurmurHash3's finaliser: FNV's low bits alone are too alike for similar short keys. */
function mix (h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

export function createDoorkeeper (capacity: number): Doorkeeper {
  const windowSize = Math.max(1, Math.floor(capacity))
  let bitCount = 64
  while (bitCount < windowSize * BITS_PER_KEY) bitCount *= 2
  const mask = bitCount - 1
  const bits = new Uint32Array(bitCount / 32)
  let recorded = 0

  const test = (bit: number) => ((bits[bit >>> 5] as number) & (1 << (bit & 31))) !== 0
  const set = (bit: number) => { bits[bit >>> 5] = (bits[bit >>> 5] as number) | (1 << (bit & 31)) }

  return {
    seenBefore (key) {
      // Two FNV-1a hashes with different offsets and primes, in one pass.
      let h1 = 0x811c9dc5
      let h2 = 0x01000193
      for (let i = Math.max(0, key.length - HASHED_TAIL); i < key.length; i++) {
        const c = key.charCodeAt(i)
        h1 = Math.imul(h1 ^ c, 0x01000193)
        h2 = Math.imul(h2 ^ c, 0x5bd1e995)
      }
      const a = mix(h1) & mask
      const b = mix(h2) & mask
      if (test(a) && test(b)) return true
      if (recorded >= windowSize) {
        bits.fill(0)
        recorded = 0
      }
      set(a)
      set(b)
      recorded++
      return false
    },
    clear () {
      bits.fill(0)
      recorded = 0
    }
  }
}
