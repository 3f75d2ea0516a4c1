import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { seedRefreshSessions } from './refresh-load.mjs'

/** A URL whose connections use `schema` (libpq's options parameter). */
export function urlWithSchema (url, schema) {
  return `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`
}

export async function withClient (url, fn) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try { return await fn(client) } finally { await client.end() }
}

/**
 * Into an already migrated schema: users 1…userCount + refreshChains, one
 * active session each for the first `userCount` (returned as
 * [{ username, sessionId, authTime }] for mintTokens), and `refreshChains`
 * sessions with known refresh tokens for the others (returned as refreshTokens).
 */
export async function seedPostgres ({ url, schema, userCount, refreshChains = 0, passwordHash }) {
  return await withClient(urlWithSchema(url, schema), async client => {
    const now = Date.now()
    const sessions = []
    await client.query('begin')
    for (let id = 1; id <= userCount + refreshChains; id++) {
      const username = `user${String(id).padStart(6, '0')}`
      await client.query(`insert into users (id, username, email, full_name, password_hash, disabled, scopes, created_at, updated_at)
        values ($1, $2, $3, $4, $5, 0, '', $6, $6)`, [id, username, `${username}@example.test`, `Bench User ${id}`, passwordHash, now])
      if (id <= userCount) {
        const sessionId = randomBytes(16).toString('base64url')
        await client.query(`insert into sessions (id, user_id, scope, auth_time, created_at, last_used_at, expires_at, user_agent, ip, revoked_at)
          values ($1, $2, '', $3, $4, $4, $5, 'bench', '127.0.0.1', null)`, [sessionId, id, Math.floor(now / 1000), now, now + 30 * 86400_000])
        sessions.push({ username, sessionId, authTime: Math.floor(now / 1000) })
      }
    }
    const refreshTokens = await seedRefreshSessions({
      userIds: Array.from({ length: refreshChains }, (_, i) => userCount + 1 + i),
      insertSession: s => client.query(`insert into sessions (id, user_id, scope, auth_time, created_at, last_used_at, expires_at, user_agent, ip, revoked_at)
        values ($1, $2, '', $3, $4, $5, $6, 'bench-refresh', '127.0.0.1', null)`, [s.id, s.userId, s.authTime, s.createdAt, s.lastUsedAt, s.expiresAt]),
      insertRefresh: r => client.query('insert into refresh_tokens (hash, session_id, generation, created_at, used_at) values ($1, $2, 1, $3, null)', [r.hash, r.sessionId, r.createdAt])
    })
    await client.query(`select setval(pg_get_serial_sequence('users', 'id'), ${userCount + refreshChains})`)
    await client.query('commit')
    return { sessions, refreshTokens }
  })
}
