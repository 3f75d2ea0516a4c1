/** At most one line per key per interval, so a flood of identical refusals cannot fill the disk. */
export const WARN_INTERVAL_MS = 10_000
const MAX_KEYS = 1000

export interface LogThrottle {
  /** undefined: stay quiet; a number: log now, mentioning how many were left out since the last line. */
  take: (key: string, now?: number) => number | undefined
}

export function createLogThrottle (intervalMs = WARN_INTERVAL_MS): LogThrottle {
  const last = new Map<string, { at: number, skipped: number }>()
  return {
    take (key, now = Date.now()) {
      const entry = last.get(key)
      if (entry !== undefined && now - entry.at < intervalMs) {
        entry.skipped++
        return undefined
      }
      // Keys are error kinds (a handful); the cap only guards against a bug that makes them unbounded.
      if (entry === undefined && last.size >= MAX_KEYS) last.clear()
      last.set(key, { at: now, skipped: 0 })
      return entry?.skipped ?? 0
    }
  }
}
