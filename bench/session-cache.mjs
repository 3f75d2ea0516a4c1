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
import { SQLiteDatabase as SQLite } from '../dist/src/store/sqlite-driver.js'
import { loadMe } from './lib/load.mjs'
import { cpuMicrosOf, memoryOf, stopAll } from './lib/processes.mjs'
import { seedPostgres, urlWithSchema, withClient } from './lib/postgres-seed.mjs'
import { seedRefreshSessionsSqlite, startRefreshLoad } from './lib/refresh-load.mjs'
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
  return { name, service, tokens: await mintTokens(env, sessions.slice(0, USERS)), refreshSessions: refreshTokens.map(refreshToken => ({ refreshToken })) }
}

async function postgresTarget (name, url, schema, cache) {
  const service = await startGatehouse({ name, env: { ...env, DATABASE_URL: urlWithSchema(url, schema), POSTGRES_SESSION_CACHE: String(cache) }, dataDir: tempDir() })
  return { name, service }
}

async function run (target, withRefreshes) {
  const cpuBefore = cpuMicrosOf(target.service.handle)
  const refresh = withRefreshes ? startRefreshLoad({ url: target.service.url, sessions: target.refreshSessions, perSecond: REFRESHES }) : undefined
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
    await withClient(args.postgres, client => client.query(`create schema ${schema}`))
    const cached = await postgresTarget('postgres NOTIFY cache', args.postgres, schema, true) // migrates the schema
    const { sessions, refreshTokens } = await seedPostgres({ url: args.postgres, schema, userCount: USERS, refreshChains: REFRESH_CHAINS, passwordHash })
    const seeded = { tokens: await mintTokens(env, sessions), refreshSessions: refreshTokens.map(refreshToken => ({ refreshToken })) }
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
    // What one refresh grant cost the service: the busy run's CPU beyond its /users/me requests at the quiet run's price.
    const perRefresh = quiet.map((q, i) => {
      const b = busy[i]
      return (b.cpuPerRequest * (b.ok + b.refreshed.ok) - q.cpuPerRequest * b.ok) / Math.max(1, b.refreshed.ok)
    })
    return [name, round(median(quiet.map(q => q.rps))), round(median(quiet.map(q => q.p99)), 1), round(median(quiet.map(q => q.cpuPerRequest))),
      round(median(busy.map(b => b.rps))), round(median(busy.map(b => b.p99)), 1), round(median(busy.map(b => b.cpuPerRequest))),
      round(median(ratios), 2), round(median(vsSqlite), 2), round(median(perRefresh)), round(service.handle.peakRssKb / 1024)]
  })
  console.log(`GET /users/me, ${CONNECTIONS} connections over ${USERS} tokens, ${SECONDS} s runs, ${ROUNDS} interleaved rounds; busy = ${REFRESHES} refresh_token grants/s on ${REFRESH_CHAINS} other sessions`)
  console.log('CPU µs/req: the service\'s CPU per answered request (busy: /users/me and refreshes together); CPU µs/refresh: derived, busy CPU beyond its /users/me at the quiet price')
  console.log(table(['target', 'quiet req/s', 'p99 ms', 'CPU µs/req', 'busy req/s', 'p99 ms', 'CPU µs/req', 'busy ÷ quiet', 'quiet ÷ sqlite', 'CPU µs/refresh', 'peak MB'], rows))
} finally {
  await stopAll()
  if (schema !== undefined) {
    await withClient(args.postgres, client => client.query(`drop schema if exists ${schema} cascade`))
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
}
