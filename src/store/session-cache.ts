import { LRUCache } from 'lru-cache'
import { createDoorkeeper } from '../caching/doorkeeper.js'

/** What a write tells the cache: the sessions and users it changed (`all`: anything, or unknown). */
export interface SessionInvalidation {
  forgetSession: (sessionId: string) => void
  /** Every cached session of the user (the cached value carries the user's row). */
  forgetUser: (userId: number) => void
  clear: () => void
}

export interface SessionCache<V> extends SessionInvalidation {
  /**
   * The cached value, or `load`'s. A loaded value is stored only if nothing
   * that could concern it was forgotten while it was being read (see `fresh`),
   * so an asynchronous load that read a row before a write cannot bring the
   * old row back after the write has forgotten it. Nothing found is never cached.
   */
  get: (sessionId: string, load: (sessionId: string) => V | undefined | Promise<V | undefined>) => V | undefined | Promise<V | undefined>
  /** Drops everything and stores nothing until `resume` (every lookup reads the database). */
  suspend: () => void
  /** Drops everything (what was read while suspended may be stale) and caches again. */
  resume: () => void
  readonly suspended: boolean
  readonly size: number
}

/** A session cache that remembers nothing: writes have nothing to forget. */
export const NO_SESSION_CACHE: SessionInvalidation = { forgetSession () {}, forgetUser () {}, clear () {} }

type Forgotten = { kind: 'session', id: string } | { kind: 'user', id: number } | { kind: 'all' }

/**
 * Forgets are numbered (`epoch`); the last FORGET_LOG are kept, so a load
 * that overlapped a few of them can still tell whether any concerned it.
 * A load that overlapped more (a burst of writes) is simply not stored.
 */
const FORGET_LOG = 64

export interface SessionCacheOptions<V> {
  size: number
  userIdOf: (value: V) => number
  startSuspended?: boolean
}

/**
 * A bounded LRU of sessions (with their user) by session id, with an index
 * user id → cached session ids so that a user change forgets only that user's
 * sessions. Values must be immutable (frozen): every request shares them.
 * Once full, a session is admitted only on its second load within the
 * doorkeeper's window (src/caching/doorkeeper.ts), so a scan of sessions seen
 * once does not evict the ones in use nor churn the LRU on every request.
 */
export function createSessionCache<V extends object> (options: SessionCacheOptions<V>): SessionCache<V> {
  const { userIdOf } = options
  const byUser = new Map<number, Set<string>>()
  const unindex = (sessionId: string, value: V) => {
    const userId = userIdOf(value)
    const ids = byUser.get(userId)
    if (ids === undefined) return
    ids.delete(sessionId)
    if (ids.size === 0) byUser.delete(userId)
  }
  const entries = new LRUCache<string, V>({ max: options.size, dispose: (value, sessionId) => { unindex(sessionId, value) } })
  const doorkeeper = createDoorkeeper(options.size)
  let suspended = options.startSuspended === true
  let epoch = 0
  const log: Forgotten[] = new Array(FORGET_LOG)

  const forgotten = (what: Forgotten) => {
    log[epoch % FORGET_LOG] = what
    epoch++
  }

  /** Was nothing that concerns this value forgotten since `startedAt`? */
  const fresh = (sessionId: string, value: V, startedAt: number) => {
    if (epoch - startedAt > FORGET_LOG) return false
    for (let e = startedAt; e < epoch; e++) {
      const what = log[e % FORGET_LOG] as Forgotten
      if (what.kind === 'all') return false
      if (what.kind === 'session' && what.id === sessionId) return false
      if (what.kind === 'user' && what.id === userIdOf(value)) return false
    }
    return true
  }

  const store = (sessionId: string, value: V | undefined, startedAt: number) => {
    if (value === undefined || suspended || !fresh(sessionId, value, startedAt)) return
    if (entries.size >= options.size && !doorkeeper.seenBefore(sessionId)) return
    entries.set(sessionId, value)
    const userId = userIdOf(value)
    let ids = byUser.get(userId)
    if (ids === undefined) byUser.set(userId, ids = new Set())
    ids.add(sessionId)
  }

  const clear = () => {
    forgotten({ kind: 'all' })
    entries.clear()
    byUser.clear()
  }

  return {
    get (sessionId, load) {
      const cached = entries.get(sessionId)
      if (cached !== undefined) return cached
      if (suspended) return load(sessionId)
      const startedAt = epoch
      const loaded = load(sessionId)
      if (loaded instanceof Promise) {
        return loaded.then(value => { store(sessionId, value, startedAt); return value })
      }
      store(sessionId, loaded, startedAt)
      return loaded
    },

    forgetSession (sessionId) {
      forgotten({ kind: 'session', id: sessionId })
      entries.delete(sessionId)
    },

    forgetUser (userId) {
      forgotten({ kind: 'user', id: userId })
      const ids = byUser.get(userId)
      if (ids === undefined) return
      for (const sessionId of [...ids]) entries.delete(sessionId)
      byUser.delete(userId)
    },

    clear,

    suspend () {
      suspended = true
      clear()
    },

    resume () {
      clear()
      suspended = false
    },

    get suspended () { return suspended },
    get size () { return entries.size }
  }
}
