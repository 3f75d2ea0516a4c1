import { LRUCache } from 'lru-cache'

interface Entry<V> {
  generation: number
  value: V
}

export interface GenerationCache<K, V> {
  /** The cached value if it was read in the current generation, otherwise `load`'s (cached unless undefined). */
  get: (key: K, load: (key: K) => V | undefined) => V | undefined
}

/**
 * A bounded LRU whose entries are valid only for the generation in which they
 * were loaded: when `generation()` moves on, every entry is stale at once.
 * `load` must be synchronous, so that nothing can change between reading the
 * generation and storing what was loaded in it.
 */
export function createGenerationCache<K extends {}, V extends {}> (size: number, generation: () => number): GenerationCache<K, V> {
  const entries = new LRUCache<K, Entry<V>>({ max: size })
  return {
    get (key, load) {
      const now = generation()
      const entry = entries.get(key)
      if (entry !== undefined && entry.generation === now) return entry.value
      const value = load(key)
      if (value === undefined) entries.delete(key)
      else entries.set(key, { generation: now, value })
      return value
    }
  }
}
