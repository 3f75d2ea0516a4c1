import { createHash, randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Background refresh_token grants: the write load of the "refreshes in the
 * background" scenarios. Each chain is one session whose refresh token is
 * rotated again and again (every grant returns the next token).
 */

const hashOf = token => createHash('sha256').update(token).digest('base64url')

/**
 * Rows for `userIds.length` extra sessions (one per user id) with refresh
 * tokens we know. `insertSession(row)` and `insertRefresh(row)` write them
 * (a SQLite statement's run, or a pg query); returns the refresh tokens.
 */
export async function seedRefreshSessions ({ userIds, insertSession, insertRefresh, now = Date.now() }) {
  const tokens = []
  for (const userId of userIds) {
    const sessionId = randomBytes(16).toString('base64url')
    const token = randomBytes(32).toString('base64url')
    await insertSession({ id: sessionId, userId, authTime: Math.floor(now / 1000), createdAt: now, lastUsedAt: now, expiresAt: now + 30 * 86400_000 })
    await insertRefresh({ hash: hashOf(token), sessionId, createdAt: now })
    tokens.push(token)
  }
  return tokens
}

/** For a better-sqlite3 database: seedRefreshSessions with its statements. */
export function seedRefreshSessionsSqlite (db, userIds) {
  const session = db.prepare(`insert into sessions (id, user_id, scope, auth_time, created_at, last_used_at, expires_at, user_agent, ip, revoked_at)
    values (?, ?, '', ?, ?, ?, ?, 'bench-refresh', '127.0.0.1', null)`)
  const refresh = db.prepare('insert into refresh_tokens (hash, session_id, generation, created_at, used_at) values (?, ?, 1, ?, null)')
  return seedRefreshSessions({
    userIds,
    insertSession: s => session.run(s.id, s.userId, s.authTime, s.createdAt, s.lastUsedAt, s.expiresAt),
    insertRefresh: r => refresh.run(r.hash, r.sessionId, r.createdAt)
  })
}

/**
 * Starts `perSecond` refresh_token grants a second against `url`, round-robin
 * over the chains of `refreshTokens` (the array is updated in place with each
 * chain's latest token, so a later run can go on with it). Grants are paced
 * by the clock, not by their answers: a slow service does not slow the load.
 * `stop()` resolves with { ok, failed, perSecond } once the grants in flight
 * have answered.
 */
export function startRefreshLoad ({ url, refreshTokens, perSecond }) {
  let running = true
  let ok = 0
  let failed = 0
  let next = 0
  const inFlight = new Set()
  const startedAt = performance.now()
  const busy = new Set() // a chain whose grant has not answered is skipped: its token is not known yet

  async function grant (chain) {
    busy.add(chain)
    try {
      const res = await fetch(`${url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshTokens[chain] }).toString()
      })
      const body = await res.json()
      if (res.status === 200) { ok++; refreshTokens[chain] = body.refresh_token } else failed++
    } catch {
      failed++
    } finally {
      busy.delete(chain)
    }
  }

  const loop = (async () => {
    const interval = 1000 / perSecond
    for (let n = 0; running; n++) {
      const due = startedAt + n * interval
      const wait = due - performance.now()
      if (wait > 0) await sleep(wait)
      if (!running) break
      let chain = next
      for (let tries = 0; busy.has(chain) && tries < refreshTokens.length; tries++) chain = (chain + 1) % refreshTokens.length
      next = (chain + 1) % refreshTokens.length
      if (busy.has(chain)) { failed++; continue }
      const pending = grant(chain)
      inFlight.add(pending)
      pending.finally(() => inFlight.delete(pending))
    }
  })()

  return {
    async stop () {
      running = false
      await loop
      await Promise.all(inFlight)
      const seconds = (performance.now() - startedAt) / 1000
      return { ok, failed, perSecond: ok / seconds }
    }
  }
}
