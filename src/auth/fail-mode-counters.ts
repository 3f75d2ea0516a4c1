import { temporarilyUnavailable } from '../errors.js'
import { isRedisUnavailable } from '../redis/unavailable.js'
import type { AttemptCounters } from './login-throttle.js'

export type FailMode = 'open' | 'closed'

/**
 * What login does when the shared counters cannot be reached (REDIS_FAIL_MODE):
 * `closed` refuses logins with 503 until they are back, because unlimited
 * guessing is worse than a short outage; `open` lets logins through uncounted
 * (every failure is reported to `onFailure` so it gets logged). Nothing is
 * cached, so the first call after Redis returns is counted again. Only an
 * unreachable Redis, or one that refuses writes for a while (a read-only
 * replica after a failover, out of memory, loading), counts as an outage: any
 * other error (a script or a data error, a bug) is thrown as it is, so `open`
 * can never quietly stop counting.
 */
export function withFailMode (counters: AttemptCounters, mode: FailMode, onFailure: (err: unknown) => void): AttemptCounters {
  const RETRY_AFTER_SECONDS = 5
  async function guarded<T> (operation: () => Promise<T>, openFallback: T): Promise<T> {
    try {
      return await operation()
    } catch (err) {
      if (!isRedisUnavailable(err)) throw err
      onFailure(err)
      if (mode === 'closed') throw temporarilyUnavailable('Login is temporarily unavailable; try again shortly', RETRY_AFTER_SECONDS)
      return openFallback
    }
  }
  return {
    reserve: async (subjects, policy) => await guarded(async () => await counters.reserve(subjects, policy), { ok: true }),
    fail: async (subjects, policy) => await guarded(async () => await counters.fail(subjects, policy), subjects.map(() => false)),
    release: async (subjects) => { await guarded(async () => { await counters.release(subjects) }, undefined) }
  }
}
