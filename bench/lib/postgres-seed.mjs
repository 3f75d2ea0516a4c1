import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { openStore } from '../../dist/src/store/store.js'
import { seedRefreshSessions } from './refresh-load.mjs'
import { username } from './store-seed.mjs'

/** The bench's PostgreSQL (a private schema is made in it per run); BENCH_POSTGRES_URL overrides. */
export const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** `url` with `schema` first on its connections' search_path (libpq's `options` parameter). */
export function urlWithSchema (url, schema) {
  return `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`
}

export async function withClient (url, fn) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try { return await fn(client) } finally { await client.end() }
}

/**
 * Creates an empty private schema on `url` (default POSTGRES_URL) and returns
 * { schema, url, drop }: `url` is the one to give the service (DATABASE_URL)
 * and seedPostgres; `drop()` removes the schema and everything in it.
 */
export async function createPostgresSchema ({ url = POSTGRES_URL } = {}) {
  const schema = `bench_${randomBytes(6).toString('hex')}`
  await withClient(url, async client => { await client.query(`create schema ${schema}`) })
  return {
    schema,
    url: urlWithSchema(url, schema),
    drop: async () => { await withClient(url, async client => { await client.query(`drop schema if exists ${schema} cascade`) }) }
  }
}

/**
 * seedStore (store-seed.mjs) for PostgreSQL: migrates the schema (`url` from
 * createPostgresSchema, or `url` plus `schema`) with the service's own code,
 * then bulk-inserts users 1…userCount + refreshChains: one active session and
 * refresh token each for the first `userCount` (returned as `sessions`,
 * [{ username, sessionId, authTime }] in user order, for mintTokens), and one
 * session with a known refresh token for each of the others (returned as
 * `refreshTokens`, for refresh-load.mjs).
 */
export async function seedPostgres ({ url, schema, userCount, refreshChains = 0, passwordHash }) {
  const target = schema === undefined ? url : urlWithSchema(url, schema)
  const store = await openStore({ databaseUrl: target, dataDir: '.', poolSize: 1 })
  await store.close()
  const now = Date.now()
  const authTime = Math.floor(now / 1000)
  const allIds = Array.from({ length: userCount + refreshChains }, (_, i) => i + 1)
  const ids = allIds.slice(0, userCount)
  const sessions = ids.map(id => ({ username: username(id), sessionId: randomBytes(16).toString('base64url'), authTime }))
  return await withClient(target, async client => {
    await client.query('begin')
    await client.query(`insert into users (id, username, email, full_name, password_hash, disabled, scopes, created_at, updated_at)
      select id, name, name || '@example.test', 'Bench User ' || id, $3, 0, '', $4, $4 from unnest($1::bigint[], $2::text[]) as u(id, name)`,
    [allIds, allIds.map(username), passwordHash, now])
    await client.query("select setval(pg_get_serial_sequence('users', 'id'), $1)", [allIds.length])
    await client.query(`insert into sessions (id, user_id, scope, auth_time, created_at, last_used_at, expires_at, user_agent, ip, revoked_at)
      select sid, uid, '', $3, $4, $4, $5, 'bench', '127.0.0.1', null from unnest($1::text[], $2::bigint[]) as s(sid, uid)`,
    [sessions.map(s => s.sessionId), ids, authTime, now, now + 30 * 86400_000])
    await client.query(`insert into refresh_tokens (hash, session_id, generation, created_at, used_at)
      select h, sid, 1, $3, null from unnest($1::text[], $2::text[]) as r(h, sid)`,
    [sessions.map(() => randomBytes(32).toString('base64url')), sessions.map(s => s.sessionId), now])
    const refreshTokens = await seedRefreshSessions({
      userIds: allIds.slice(userCount),
      now,
      insertSession: s => client.query(`insert into sessions (id, user_id, scope, auth_time, created_at, last_used_at, expires_at, user_agent, ip, revoked_at)
        values ($1, $2, '', $3, $4, $5, $6, 'bench-refresh', '127.0.0.1', null)`, [s.id, s.userId, s.authTime, s.createdAt, s.lastUsedAt, s.expiresAt]),
      insertRefresh: r => client.query('insert into refresh_tokens (hash, session_id, generation, created_at, used_at) values ($1, $2, 1, $3, null)', [r.hash, r.sessionId, r.createdAt])
    })
    await client.query('commit')
    await client.query('analyze users; analyze sessions; analyze refresh_tokens')
    return { sessions, refreshTokens }
  })
}

/**
 * The PostgreSQL server processes serving the connections that `clientPid`
 * (a service started with DATABASE_URL from createPostgresSchema) has open to
 * `schema`: found by the client's local ports, so that their CPU time can be
 * read from /proc (same machine only).
 */
export async function postgresBackends (schema, clientPid, url = POSTGRES_URL) {
  const { readFileSync, readdirSync, readlinkSync } = await import('node:fs')
  // The client's sockets (inodes), then their local ports from /proc/net/tcp.
  const inodes = new Set()
  for (const fd of readdirSync(`/proc/${clientPid}/fd`)) {
    try { const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${clientPid}/fd/${fd}`)); if (m) inodes.add(m[1]) } catch {}
  }
  const ports = new Set()
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/)
    if (f.length > 9 && inodes.has(f[9])) ports.add(parseInt(f[1].split(':')[1], 16))
  }
  return await withClient(url, async client => {
    const { rows } = await client.query('select pid, client_port from pg_stat_activity where client_port = any($1::int[])', [[...ports]])
    return rows.map(r => r.pid)
  })
}
