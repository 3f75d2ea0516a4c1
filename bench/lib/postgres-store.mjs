import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { openStore } from '../../dist/src/store/store.js'
import { seededSession, seedRows } from './store-seed.mjs'

/** The shared PostgreSQL of the bench machine; `BENCH_POSTGRES_URL` points the bench elsewhere. */
export const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

async function withClient (fn) {
  const client = new pg.Client({ connectionString: POSTGRES_URL })
  await client.connect()
  try { return await fn(client) } finally { await client.end() }
}

/**
 * A private schema for one bench run: its URL puts the schema first on every
 * connection's search_path (libpq's `options`), so the service's migrations
 * and queries stay inside it. `drop()` removes it with everything in it.
 */
export async function createBenchSchema () {
  const schema = `bench_${randomBytes(6).toString('hex')}`
  await withClient(async client => { await client.query(`create schema ${schema}`) })
  const separator = POSTGRES_URL.includes('?') ? '&' : '?'
  return {
    schema,
    url: `${POSTGRES_URL}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    drop: async () => { await withClient(async client => { await client.query(`drop schema if exists ${schema} cascade`) }) }
  }
}

const CHUNK = 5000

/**
 * seedStore (store-seed.mjs) for PostgreSQL: the service's own migrations
 * (openStore from dist/), then the same rows bulk-inserted with pg (one
 * statement per table and chunk, arrays unnested server-side).
 */
export async function seedPostgresStore ({ databaseUrl, userCount, passwordHash }) {
  const store = await openStore({ databaseUrl, dataDir: undefined, poolSize: 1 })
  await store.close()
  const rows = seedRows({ userCount, passwordHash })
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    await client.query('begin')
    for (let at = 0; at < rows.length; at += CHUNK) {
      const chunk = rows.slice(at, at + CHUNK)
      const column = pick => chunk.map(pick)
      await client.query(`insert into users (id, username, email, full_name, password_hash, disabled, scopes, created_at, updated_at)
        select id, username, email, full_name, password_hash, 0, '', created_at, created_at
        from unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[]) as t(id, username, email, full_name, password_hash, created_at)`,
      [column(r => r.user.id), column(r => r.user.username), column(r => r.user.email), column(r => r.user.fullName), column(r => r.user.passwordHash), column(r => r.user.createdAt)])
      await client.query(`insert into sessions (id, user_id, scope, auth_time, created_at, last_used_at, expires_at, user_agent, ip, revoked_at)
        select id, user_id, '', auth_time, created_at, created_at, expires_at, 'bench', '127.0.0.1', null
        from unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[]) as t(id, user_id, auth_time, created_at, expires_at)`,
      [column(r => r.session.id), column(r => r.user.id), column(r => r.session.authTime), column(r => r.session.createdAt), column(r => r.session.expiresAt)])
      await client.query(`insert into refresh_tokens (hash, session_id, generation, created_at, used_at)
        select hash, session_id, 1, created_at, null from unnest($1::text[], $2::text[], $3::bigint[]) as t(hash, session_id, created_at)`,
      [column(r => r.refresh.hash), column(r => r.session.id), column(r => r.session.createdAt)])
    }
    // The ids were given explicitly: move the sequence past them, as real sign-ups would have.
    await client.query("select setval(pg_get_serial_sequence('users', 'id'), $1)", [Math.max(1, userCount)])
    await client.query('commit')
    await client.query('analyze users; analyze sessions; analyze refresh_tokens')
  } finally {
    await client.end()
  }
  return { sessions: rows.map(seededSession) }
}
