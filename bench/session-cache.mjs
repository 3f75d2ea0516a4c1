// The session cache under writes: GET /users/me (50 connections over 1,000
// tokens) with no writes, and the same while refresh_token grants run in the
// background on other sessions (50/s by default). Interleaved rounds; reports
// 2xx throughput, p99, CPU µs per request of the service, and the ratio
// refresh ÷ no-write per round (median). Targets: this build (SQLite), and
// optionally an older build (--before path/to/gatehouse.mjs) and PostgreSQL
// with the NOTIFY cache and strict (--postgres URL: a schema is created there
// and dropped after).
//
//   npm run build && node bench/session-cache.mjs [--rounds 5] [--seconds 8] [--refreshes 50]
//     [--before /path/to/old/dist/gatehouse.mjs] [--postgres postgres://postgres@127.0.0.1:5432/test]
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import { loadMe } from './lib/load.mjs'
import { cpuMicrosOf, memoryOf, stopAll } from './lib/processes.mjs'
import { seedRefreshSessions, seedRefreshSessionsSqlite, startRefreshLoad } from './lib/refresh-load.mjs'
import { median, round, table } from './lib/stats.mjs'
import { mintTokens, passwordHashAtCost, seedStore } from './lib/store-seed.mjs'
import { serviceEnvironment, startGatehouse } from './lib/targets.mjs'

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '8' },
    refreshes: { type: 'string', default: '50' },
    before: { type: 'string' },
    postgres: { type: 'string' },
    'node-flags': { type: 'string' }
  }
})
const ROUNDS = Number(args.rounds)
const SECONDS = Number(args.seconds)
const REFRESHES = Number(args.refreshes)
const USERS = 1000
const REFRESH_CHAINS = 200
const CONNECTIONS = 50

const dirs = []
const tempDir = () => { const d = mkdtempSync(join(tmpdir(), 'gh-bench-cache-')); dirs.push(d); return d }
const env = serviceEnvironment()
const passwordHash = await passwordHashAtCost(10)

async function sqliteTarget (name, script) {
  const dataDir = tempDir()
  const { file, sessions } = await seedStore({ dataDir, userCount: USERS + REFRESH_CHAINS, passwordHash })
  const db = new SQLite(file)
  const refreshTokens = await seedRefreshSessionsSqlite(db, Array.from({ length: REFRESH_CHAINS }, (_, i) => USERS + 1 + i))
  // An older build does not know this build's migrations (005 is a no-op on SQLite).
  if (script !== undefined) db.prepare("delete from kysely_migration where name = '005_session_notifications'").run()
  db.close()
  const service = await startGatehouse({ name, env, dataDir, ...(script === undefined ? {} : { script }) })
  return { name, service, tokens: await mintTokens(env, sessions.slice(0, USERS)), refreshTokens }
}

async function postgresTarget (name, url, schema, cache) {
  const databaseUrl = `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`
  const service = await startGatehouse({ name, env: { ...env, DATABASE_URL: databaseUrl, POSTGRES_SESSION_CACHE: String(cache) }, dataDir: tempDir() })
  return { name, service }
}

async function seedPostgres (url, schema) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  await client.query(`set search_path = ${schema}`)
  const now = Date.now()
  const sessions = []
  await client.query('begin')
  for (let id = 1; id <= USERS + REFRESH_CHAINS; id++) {
    const username = `user${String(id).padStart(6, '0')}`
    await client.query(`insert into users (id, username, email, full_name, password_hash, disabled, scopes, created_at, updated_at)
      values ($1, $2, $3, $4, $5, 0, '', $6, $6)`, [id, username, `${username}@example.test`, `Bench User ${id}`, passwordHash, now])
    if (id <= USERS) {
      const sessionId = randomBytes(16).toString('base64url')
      await client.query(`insert into sessions (id, user_id, scope, auth_time, created_at, last_used_at, expires_at, user_agent, ip, revoked_at)
        values ($1, $2, '', $3, $4, $4, $5, 'bench', '127.0.0.1', null)`, [sessionId, id, Math.floor(now / 1000), now, now + 30 * 86400_000])
      sessions.push({ username, sessionId, authTime: Math.floor(now / 1000) })
    }
  }
  const refreshTokens = await seedRefreshSessions({
    userIds: Array.from({ length: REFRESH_CHAINS }, (_, i) => USERS + 1 + i),
    insertSession: s => client.query(`insert into sessions (id, user_id, scope, auth_time, created_at, last_used_at, expires_at, user_agent, ip, revoked_at)
      values ($1, $2, '', $3, $4, $5, $6, 'bench-refresh', '127.0.0.1', null)`, [s.id, s.userId, s.authTime, s.createdAt, s.lastUsedAt, s.expiresAt]),
    insertRefresh: r => client.query('insert into refresh_tokens (hash, session_id, generation, created_at, used_at) values ($1, $2, 1, $3, null)', [r.hash, r.sessionId, r.createdAt])
  })
  await client.query(`select setval(pg_get_serial_sequence('users', 'id'), ${USERS + REFRESH_CHAINS})`)
  await client.query('commit')
  await client.end()
  return { tokens: await mintTokens(env, sessions), refreshTokens }
}

async function run (target, withRefreshes) {
  const cpuBefore = cpuMicrosOf(target.service.handle)
  const refresh = withRefreshes ? startRefreshLoad({ url: target.service.url, refreshTokens: target.refreshTokens, perSecond: REFRESHES }) : undefined
  const result = await loadMe({ url: target.service.url, connections: CONNECTIONS, seconds: SECONDS, tokens: target.tokens })
  const refreshed = await refresh?.stop()
  const cpu = cpuMicrosOf(target.service.handle) - cpuBefore
  memoryOf(target.service.handle)
  return { ...result, cpuPerRequest: cpu / Math.max(1, result.ok + (refreshed?.ok ?? 0)), refreshed }
}

let schema
try {
  const targets = [await sqliteTarget('sqlite (this build)')]
  if (args.before !== undefined) targets.push(await sqliteTarget('sqlite (before)', args.before))
  if (args.postgres !== undefined) {
    schema = `bench_${randomBytes(4).toString('hex')}`
    const admin = new pg.Client({ connectionString: args.postgres })
    await admin.connect()
    await admin.query(`create schema ${schema}`)
    await admin.end()
    const cached = await postgresTarget('postgres NOTIFY cache', args.postgres, schema, true) // migrates the schema
    const seeded = await seedPostgres(args.postgres, schema)
    targets.push({ ...cached, ...seeded })
    targets.push({ ...(await postgresTarget('postgres strict', args.postgres, schema, false)), ...seeded })
  }
  for (const target of targets) await loadMe({ url: target.service.url, connections: CONNECTIONS, seconds: 2, tokens: target.tokens }) // warm-up

  const results = new Map(targets.map(t => [t.name, { quiet: [], busy: [] }]))
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? targets : [...targets].reverse()
    for (const target of order) {
      const quietFirst = r % 2 === 0
      const x = await run(target, !quietFirst)
      const y = await run(target, quietFirst)
      const [quiet, busy] = quietFirst ? [x, y] : [y, x]
      results.get(target.name).quiet.push(quiet)
      results.get(target.name).busy.push(busy)
      process.stderr.write(`round ${r + 1} ${target.name}: ${round(quiet.rps)} req/s quiet, ${round(busy.rps)} req/s with ${round(busy.refreshed.perSecond)} refreshes/s (${busy.refreshed.failed} failed)\n`)
    }
  }

  const sqliteQuiet = results.get('sqlite (this build)').quiet
  const rows = targets.map(({ name, service }) => {
    const { quiet, busy } = results.get(name)
    const ratios = quiet.map((q, i) => busy[i].rps / q.rps)
    const vsSqlite = quiet.map((q, i) => q.rps / sqliteQuiet[i].rps)
    return [name, round(median(quiet.map(q => q.rps))), round(median(quiet.map(q => q.p99)), 1), round(median(quiet.map(q => q.cpuPerRequest))),
      round(median(busy.map(b => b.rps))), round(median(busy.map(b => b.p99)), 1), round(median(busy.map(b => b.cpuPerRequest))),
      round(median(ratios), 2), round(median(vsSqlite), 2), round(service.handle.peakRssKb / 1024)]
  })
  console.log(`GET /users/me, ${CONNECTIONS} connections over ${USERS} tokens, ${SECONDS} s runs, ${ROUNDS} interleaved rounds; busy = ${REFRESHES} refresh_token grants/s on ${REFRESH_CHAINS} other sessions`)
  console.log(table(['target', 'quiet req/s', 'p99 ms', 'CPU µs/req', 'busy req/s', 'p99 ms', 'CPU µs/req', 'busy ÷ quiet', 'quiet ÷ sqlite', 'peak MB'], rows))
} finally {
  await stopAll()
  if (schema !== undefined) {
    const admin = new pg.Client({ connectionString: args.postgres })
    await admin.connect()
    await admin.query(`drop schema if exists ${schema} cascade`)
    await admin.end()
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
}
