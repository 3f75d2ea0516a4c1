import type { CounterStore } from './login-throttle.js'

/** In-process counters for a single instance. Expired entries are swept lazily. */
export function createMemoryCounters (now: () => number = Date.now, maxEntries = 100_000): CounterStore {
  const entries = new Map<string, { count: number, expiresAt: number }>()

  const live = (key: string) => {
    const entry = entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= now()) { entries.delete(key); return undefined }
    return entry
  }
  const sweep = () => {
    if (entries.size < maxEntries) return
    const at = now()
    for (const [key, entry] of entries) if (entry.expiresAt <= at) entries.delete(key)
    // Still full of live entries: drop the oldest inserted to bound memory.
    for (const key of entries.keys()) { if (entries.size < maxEntries) break; entries.delete(key) }
  }
  const view = (entry: { count: number, expiresAt: number }) =>
    ({ count: entry.count, ttlSeconds: Math.max(1, Math.ceil((entry.expiresAt - now()) / 1000)) })

  return {
    async increment (key, windowSeconds) {
      let entry = live(key)
      if (entry === undefined) {
        sweep()
        entry = { count: 0, expiresAt: now() + windowSeconds * 1000 }
        entries.set(key, entry)
      }
      entry.count++
      return view(entry)
    },
    async get (key) {
      const entry = live(key)
      return entry === undefined ? undefined : view(entry)
    },
    async reset (key) {
      entries.delete(key)
    }
  }
}
