// node bench/uncached.mjs [--seconds 5] [--rounds 3] [--only a,b] [--before PATH/gatehouse.mjs] [--pg-pools 4,10]
// The UNCACHED Bearer path of issue 13 against the auth floor, interleaved rounds: GET /users/me,
// 50 connections, 2xx req/s, p99 and server CPU µs/request. Scenarios: SQLite with caches off
// (AUTH_CACHE_SIZE=0), SQLite with 20,000 tokens cycling (more than the default caches hold), SQLite
// with 1,000 tokens (caches warm; `--only sqlite-1k` to include it, it is not an uncached path),
// PostgreSQL (a private schema on BENCH_POSTGRES_URL, dropped at the end), ES256 with caches off.
// --before runs each scenario also against another build (e.g. a copy of an older dist/gatehouse.mjs
// kept inside this checkout, so it finds node_modules). --pg-pools: one PostgreSQL target per DATABASE_POOL_SIZE.
// Run `npm run build` first.
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { generateKeyPairSync } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { loadMe } from './lib/load.mjs'
import { cpuMicrosOf, killAllNow, memoryOf, stopAll } from './lib/processes.mjs'
import { median, round } from './lib/stats.mjs'
import { mintTokens, passwordHashAtCost, seedStore, spread } from './lib/store-seed.mjs'
import { createPostgresSchema, postgresBackends, seedPostgres } from './lib/postgres-seed.mjs'
import { serviceEnvironment, startFloor, startGatehouse } from './lib/targets.mjs'

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string' },
    before: { type: 'string' },
    'pg-pools': { type: 'string' }
  }
})
const SECONDS = Number(args.seconds)
const ROUNDS = Number(args.rounds)
const CONNECTIONS = 50
const log = message => process.stdout.write(`${message}\n`)
const tmp = mkdtempSync(join(tmpdir(), 'gatehouse-uncached-'))
process.on('exit', killAllNow)

const env = serviceEnvironment({ BCRYPT_COST: '10' })
const keyFile = join(tmp, 'es256.pem')
writeFileSync(keyFile, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 })
const es256Env = { ...env, JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY_FILE: keyFile, JWT_SECRET: undefined }
delete es256Env.JWT_SECRET

const passwordHash = await passwordHashAtCost(10)
const storeDir = join(tmp, 'store')
const { sessions } = await seedStore({ dataDir: storeDir, userCount: 20_000, passwordHash })
const tokens1k = await mintTokens(env, spread(sessions, 1000))
const tokens20k = await mintTokens(env, sessions)
const es256Tokens = await mintTokens(es256Env, spread(sessions, 1000))

const scenarios = [
  // The warm path beside them, to check that what shortens a miss does not slow a hit.
  { key: 'sqlite-1k', env, tokens: tokens1k },
  { key: 'sqlite-off', env: { ...env, AUTH_CACHE_SIZE: '0' }, tokens: tokens1k },
  { key: 'sqlite-20k', env, tokens: tokens20k },
  ...(args['pg-pools'] ?? '').split(',').map(size => ({
    key: size === '' ? 'pg' : `pg pool=${size}`,
    group: 'pg',
    postgres: true,
    env: { ...env, POSTGRES_SESSION_CACHE: 'false', ...(size === '' ? {} : { DATABASE_POOL_SIZE: size }) }
  })),
  { key: 'es256-off', env: { ...es256Env, AUTH_CACHE_SIZE: '0' }, tokens: es256Tokens }
].filter(s => args.only === undefined ? s.key !== 'sqlite-1k' : args.only.split(',').includes(s.group ?? s.key))

let schema
try {
  if (scenarios.some(s => s.postgres)) {
    schema = await createPostgresSchema()
    const seeded = await seedPostgres({ url: schema.url, userCount: 1000, passwordHash })
    const tokens = await mintTokens(env, seeded.sessions)
    for (const s of scenarios) if (s.postgres) { s.env = { ...s.env, DATABASE_URL: schema.url }; s.tokens = tokens }
  }
  const builds = [['after', undefined], ...(args.before ? [['before', resolve(args.before)]] : [])]
  const floor = await startFloor({ name: 'auth floor', auth: true, secret: env.JWT_SECRET, issuer: env.PUBLIC_URL, audience: 'gatehouse' })
  const targets = [{ name: 'auth floor', url: floor.url, handle: floor.handle, tokens: tokens1k }]
  for (const s of scenarios) {
    for (const [build, script] of builds) {
      const service = await startGatehouse({ name: `${s.key} ${build}`, env: s.env, dataDir: storeDir, ...(script ? { script } : {}) })
      targets.push({ name: service.name, url: service.url, handle: service.handle, tokens: s.tokens, postgres: s.postgres })
    }
  }
  log(`uptime load before: ${loadavg().map(l => l.toFixed(2)).join(' ')}; ${SECONDS} s × ${ROUNDS} rounds, ${CONNECTIONS} connections`)
  for (const t of targets) await loadMe({ url: t.url, connections: CONNECTIONS, seconds: 2, tokens: t.tokens }) // warm-up
  const results = new Map(targets.map(t => [t.name, []]))
  for (let at = 0; at < ROUNDS; at++) {
    let floorRps
    for (const t of targets) {
      // PostgreSQL's server processes of this service's pool, looked up before and after the run: the pool
      // closes idle connections (30 s) and opens new ones, whose CPU all counts (they start near 0).
      const cpuOrZero = pid => { try { return cpuMicrosOf({ pid }) } catch { return 0 } }
      const backendCpu = async () => t.postgres ? new Map((await postgresBackends(schema.schema, t.handle.pid)).map(pid => [pid, cpuOrZero(pid)])) : new Map()
      const cpuBefore = cpuMicrosOf(t.handle)
      const pgBefore = await backendCpu()
      const r = await loadMe({ url: t.url, connections: CONNECTIONS, seconds: SECONDS, tokens: t.tokens })
      const cpu = (cpuMicrosOf(t.handle) - cpuBefore) / Math.max(1, r.ok + r.non2xx)
      const pgCpu = [...(await backendCpu())].reduce((sum, [pid, cpu]) => sum + cpu - (pgBefore.get(pid) ?? 0), 0) / Math.max(1, r.ok + r.non2xx)
      if (t.name === 'auth floor') floorRps = r.rps
      results.get(t.name).push({ ...r, cpu, pgCpu, ratio: r.rps / floorRps, rss: memoryOf(t.handle).peakMb })
      log(`  round ${at + 1} ${t.name.padEnd(18)} ${round(r.rps)} req/s ×floor ${(r.rps / floorRps).toFixed(2)} p99 ${r.p99} ms CPU ${round(cpu)}${t.postgres ? ` + PostgreSQL ${round(pgCpu)}` : ''} µs/req non2xx ${r.non2xx}`)
    }
  }
  log(`\nmedians (uptime load after: ${loadavg().map(l => l.toFixed(2)).join(' ')})`)
  log('target             req/s  ×floor   p99 ms  CPU µs/req  PostgreSQL µs/req  peak RSS MB')
  for (const [name, rs] of results) {
    log(`${name.padEnd(18)} ${String(round(median(rs.map(r => r.rps)))).padStart(6)}  ${median(rs.map(r => r.ratio)).toFixed(2).padStart(6)}  ${String(median(rs.map(r => r.p99))).padStart(7)}  ${String(round(median(rs.map(r => r.cpu)))).padStart(10)}  ${String(round(median(rs.map(r => r.pgCpu)))).padStart(17)}  ${round(Math.max(...rs.map(r => r.rss)))}`)
  }
} finally {
  await stopAll()
  await schema?.drop()
  rmSync(tmp, { recursive: true, force: true })
}
