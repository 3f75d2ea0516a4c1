import { escalatedWindowMs, type AttemptCounters, type Subject, type WindowPolicy } from './login-throttle.js'

interface Entry {
  /** Attempts counted in this window: failures plus reservations in flight. */
  n: number
  /** Failures confirmed in this window. */
  f: number
  /** When the window ends (0: no window). */
  end: number
  /** Lockouts so far (escalation), remembered until levelEnd. */
  level: number
  levelEnd: number
  /** The user's lockout generation this entry was counted under. */
  g: number
  max: number
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000))

/**
 * In-process counters for a single instance, one entry per username or IP.
 * Every operation runs synchronously (no await inside), so a reservation is
 * checked and taken in one step, whatever the parallelism.
 *
 * At most `maxEntries` keys are kept. When a new key does not fit, expired
 * entries go first, then counters below their limit (oldest first, a tenth of
 * the table at a time so that sweeps stay rare), then the escalation levels
 * of lockouts that have ended. A live lockout, with its level, is never
 * dropped: if the table holds nothing else, the attempt that needs a new key
 * is refused (`full`) until the first lockout ends, rather than let a flood
 * of fresh usernames lift a lockout. Levels go before that refusal so that a
 * full table lasts at most one lockout window, not the day a level is kept.
 */
export function createMemoryCounters (now: () => number = Date.now, maxEntries = 100_000): AttemptCounters {
  const entries = new Map<string, Entry>()
  let noRoomUntil = 0

  /** Forgets an ended window or escalation; false when nothing is left. */
  const refresh = (e: Entry, at: number): boolean => {
    if (e.end <= at) { e.n = 0; e.f = 0; e.end = 0 }
    if (e.levelEnd <= at) { e.level = 0; e.levelEnd = 0 }
    return e.n > 0 || e.f > 0 || e.level > 0
  }
  const current = (key: string, at: number): Entry | undefined => {
    const e = entries.get(key)
    if (e === undefined) return undefined
    if (refresh(e, at)) return e
    entries.delete(key)
    return undefined
  }
  const isLockout = (e: Entry, at: number) => e.end > at && e.n >= e.max
  const hasLevel = (e: Entry, at: number) => e.level > 0 && e.levelEnd > at

  const makeRoom = (needed: number, keep: ReadonlySet<string>, at: number): boolean => {
    if (entries.size + needed <= maxEntries) return true
    if (at < noRoomUntil) return false
    for (const [key, e] of entries) if (!refresh(e, at)) entries.delete(key)
    const target = Math.max(0, maxEntries - needed - Math.floor(maxEntries / 10))
    const drop = (droppable: (e: Entry) => boolean) => {
      if (entries.size + needed <= maxEntries) return
      for (const [key, e] of entries) {
        if (entries.size <= target) break
        if (!keep.has(key) && droppable(e)) entries.delete(key)
      }
    }
    drop(e => !isLockout(e, at) && !hasLevel(e, at))
    drop(e => !isLockout(e, at))
    if (entries.size + needed <= maxEntries) return true
    let first = Infinity
    for (const e of entries.values()) if (isLockout(e, at)) first = Math.min(first, e.end)
    noRoomUntil = first === Infinity ? at + 1000 : first
    return false
  }

  const reserveNow = (subjects: readonly Subject[], policy: WindowPolicy) => {
    const at = now()
    const found = subjects.map(s => {
      const e = current(s.key, at)
      if (e !== undefined && e.g < s.generation) { entries.delete(s.key); return undefined }
      return e
    })
    for (const [i, s] of subjects.entries()) {
      const e = found[i]
      if (e !== undefined && e.n >= s.max) return { ok: false as const, blocked: i, retryAfterSeconds: seconds(e.end - at) }
    }
    const needed = found.filter(e => e === undefined).length
    if (!makeRoom(needed, new Set(subjects.map(s => s.key)), at)) {
      return { ok: false as const, full: true as const, retryAfterSeconds: seconds(noRoomUntil - at) }
    }
    for (const [i, s] of subjects.entries()) {
      let e = found[i]
      if (e === undefined) {
        e = { n: 0, f: 0, end: 0, level: 0, levelEnd: 0, g: s.generation, max: s.max }
        entries.set(s.key, e)
      }
      if (e.end === 0) e.end = at + escalatedWindowMs(policy, e.level)
      e.max = s.max
      e.n++
    }
    return { ok: true as const }
  }

  return {
    async reserve (subjects, policy) {
      return reserveNow(subjects, policy)
    },
    async fail (subjects, policy) {
      const at = now()
      return subjects.map(s => {
        const e = current(s.key, at)
        if (e === undefined || e.end === 0) return false
        e.f++
        if (e.f !== s.max) return false
        e.level++
        e.levelEnd = at + policy.levelTtlMs
        return true
      })
    },
    async release (subjects) {
      const at = now()
      for (const { key, clear } of subjects) {
        const e = current(key, at)
        if (e === undefined) continue
        if (clear) { e.n = 0; e.f = 0; e.end = 0 } else if (e.n > 0) e.n--
        if (!refresh(e, at)) entries.delete(key)
      }
    }
  }
}
