import { Agent, request } from 'node:http'
import { createHash, randomBytes } from 'node:crypto'

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
 * A paced background writer: `perSecond` refresh_token grants a second on
 * POST /token, round-robin over `sessions` (each { refreshToken }), one request
 * at a time per session. Every refresh rotates the token, so the latest one
 * returned is written back to its session object (`refreshToken`), so a later
 * loader on the same sessions goes on from there; a session whose refresh
 * failed is marked `refreshFailed` and skipped from then on (reusing an old
 * token would revoke it). Requests are
 * sent on a schedule (start + n / perSecond), not one after another, so a slow
 * answer does not lower the rate; a session still waiting is passed over.
 *
 * Returns { stop() }; stop() resolves with { sent, ok, failed, skipped, perSecond, seconds }.
 */
export function startRefreshLoad ({ url, sessions, perSecond }) {
  const agent = new Agent({ keepAlive: true, maxSockets: 16 })
  const target = new URL('/token', url)
  const busy = new Set()
  const counts = { sent: 0, ok: 0, failed: 0, skipped: 0 }
  const pending = new Set()
  const startedAt = performance.now()
  let next = 0
  let stopped = false

  function refresh (session) {
    busy.add(session)
    counts.sent++
    const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: session.refreshToken }).toString()
    const done = new Promise(resolve => {
      const req = request(target, { method: 'POST', agent, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } }, response => {
        let text = ''
        response.setEncoding('utf8').on('data', chunk => { text += chunk }).on('end', () => {
          const token = response.statusCode === 200 ? JSON.parse(text).refresh_token : undefined
          if (typeof token === 'string') { session.refreshToken = token; counts.ok++ } else { session.refreshFailed = true; counts.failed++ }
          resolve()
        })
      })
      req.on('error', () => { session.refreshFailed = true; counts.failed++; resolve() })
      req.end(body)
    }).finally(() => { busy.delete(session); pending.delete(done) })
    pending.add(done)
  }

  const timer = setInterval(() => {
    const due = Math.floor((performance.now() - startedAt) / 1000 * perSecond)
    while (!stopped && counts.sent + counts.skipped < due) {
      const session = sessions[next]
      next = (next + 1) % sessions.length
      if (busy.has(session) || session.refreshFailed === true) counts.skipped++
      else refresh(session)
    }
  }, 5)

  return {
    async stop () {
      stopped = true
      clearInterval(timer)
      const seconds = (performance.now() - startedAt) / 1000
      await Promise.all(pending)
      agent.destroy()
      return { ...counts, perSecond: counts.ok / seconds, seconds }
    }
  }
}
