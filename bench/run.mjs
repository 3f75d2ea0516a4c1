// npm run bench [-- --quick] : the performance budgets of issues 6 and 13, measured in one run.
// npm run bench -- --introspect-only [--quick] : only scenario [1i], POST /introspect next to GET /users/me (issue 16).
// See docs/benchmark.md. Writes bench/results.json (not with --introspect-only); stops every process it started.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { compare } from '@node-rs/bcrypt'
import { loadConfig } from '../dist/src/config.js'
import { loadIntrospect, loadMe, startLogins } from './lib/load.mjs'
import { createPostgresSchema, seedPostgres } from './lib/postgres-seed.mjs'
import { loginFloodRound } from './lib/login-flood.mjs'
import { cpuMicrosOf, killAllNow, loadGeneratorNice, memoryOf, stop, stopAll } from './lib/processes.mjs'
import { startRefreshLoad } from './lib/refresh-load.mjs'
import { timeFirstRequests } from './lib/first-requests.mjs'
import { median, round, table } from './lib/stats.mjs'
import { BENCH_PASSWORD, mintTokens, passwordHashAtCost, seedIntrospector, seedStore, spread } from './lib/store-seed.mjs'
import { es256Environment, nodeFlags, serviceEnvironment, startFloor, startGatehouse, timeFloorStartup } from './lib/targets.mjs'

const QUICK = process.argv.includes('--quick')
const INTROSPECT_ONLY = process.argv.includes('--introspect-only')
const ROUNDS = QUICK ? 1 : 3
const SECONDS = QUICK ? 3 : 10 // one measurement
const WARMUP_SECONDS = QUICK ? 1 : 3
// [1] in more, shorter rounds: this VM's speed drifts by up to a third over tens of seconds, and a
// ratio's two runs are further apart in a longer round; the median of 8 rounds outlasts a slow spell.
const ME_ROUNDS = QUICK ? 1 : 8
const ME_SECONDS = QUICK ? 3 : 4
const ME_CONNECTIONS = 50
const FLOOD_CONNECTIONS = 64
const SOAK_SECONDS = QUICK ? 20 : 120
const SOAK_EARLY_SECONDS = QUICK ? 5 : 20
const TOKEN_USERS = 1000
const BIG_STORE_USERS = 100_000
const MANY_TOKENS = 20_000 // distinct live tokens, more than the default AUTH_CACHE_SIZE (5,000)
const REFRESHES_PER_SECOND = 50
const REFRESH_SESSIONS = 500 // sessions of other users, refreshed round-robin in the background
const RSS_BUDGET_MB = 150
const RESULTS = fileURLToPath(new URL('./results.json', import.meta.url))

const log = message => process.stdout.write(`${message}\n`)
const tmp = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'))
const services = [] // every gatehouse process started, for the peak-RSS budget
let postgres // the run's private schema, dropped in cleanup()

async function startService (name, env, dataDir) {
  const service = await startGatehouse({ name, env, dataDir })
  services.push(service.handle)
  return service
}

/** RSS now and peak so far of every running service, after each phase (the peak is a budget). */
function logMemory (phase) {
  const live = services.filter(s => !s.exited).map(s => { const m = memoryOf(s); return `${s.name} ${round(m.rssMb)}/${round(m.peakMb)}` })
  log(`  RSS now/peak MB after ${phase}: ${live.join(', ')}`)
}

async function timeOneVerify (passwordHash) {
  const times = []
  for (let i = 0; i < 5; i++) {
    const started = performance.now()
    await compare(BENCH_PASSWORD, passwordHash)
    times.push(performance.now() - started)
  }
  return median(times)
}

/** A directory holding a copy of an already seeded (checkpointed, closed) SQLite store. */
function copyStore (from, name) {
  const to = join(tmp, name)
  cpSync(from, to, { recursive: true })
  return to
}

/** One GET /users/me measurement of a target, with its own CPU time per answered (2xx) request. */
async function measureMe ({ target, tokens, background }, seconds) {
  const writer = background?.()
  const cpuBefore = cpuMicrosOf(target.handle)
  const result = await loadMe({ url: target.url, connections: ME_CONNECTIONS, seconds, tokens })
  // The target's own CPU (user + kernel) per answered request: less noisy than req/s on a shared machine.
  result.cpuMicrosPerRequest = (cpuMicrosOf(target.handle) - cpuBefore) / Math.max(1, result.ok)
  if (writer !== undefined) result.background = await writer.stop()
  if (target.handle.pid !== undefined && services.includes(target.handle)) result.rssMb = memoryOf(target.handle).rssMb
  return result
}

/** One POST /introspect measurement, reported like measureMe: the same tokens, a client authenticating with Basic on every request. */
async function measureIntrospect ({ target, tokens, authorization }, seconds) {
  const cpuBefore = cpuMicrosOf(target.handle)
  const result = await loadIntrospect({ url: target.url, connections: ME_CONNECTIONS, seconds, tokens, authorization })
  result.cpuMicrosPerRequest = (cpuMicrosOf(target.handle) - cpuBefore) / Math.max(1, result.ok)
  return result
}

/**
 * [1i] (issue 16): POST /introspect of the 1,000 user tokens next to GET
 * /users/me with the same tokens on the same instance, interleaved round by
 * round; the ratios are medians of the per-round ratios.
 */
async function introspectScenario (target, tokens, authorization) {
  log(`\n[1i] POST /introspect (Basic auth, ${tokens.length} user tokens) vs GET /users/me, ${ME_CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${SECONDS} s, on ${target.name}`)
  const me = { target, tokens }
  const introspect = { target, tokens, authorization }
  await measureMe(me, WARMUP_SECONDS)
  await measureIntrospect(introspect, WARMUP_SECONDS)
  const runs = { me: [], introspect: [] }
  const line = (r, name, result) => `  round ${r} ${name.padEnd(16)} ${String(round(result.rps)).padStart(6)} req/s  p99 ${result.p99} ms  ${round(result.cpuMicrosPerRequest, 1)} µs CPU/request${result.non2xx + result.errors > 0 ? `  (${result.non2xx} non-2xx, ${result.errors} errors)` : ''}`
  for (let r = 1; r <= ROUNDS; r++) {
    const a = await measureMe(me, SECONDS)
    runs.me.push(a)
    log(line(r, 'GET /users/me', a))
    const b = await measureIntrospect(introspect, SECONDS)
    runs.introspect.push(b)
    log(line(r, 'POST /introspect', b))
  }
  const rpsRatio = median(runs.introspect.map((run, i) => run.rps / runs.me[i].rps))
  const cpuRatio = median(runs.introspect.map((run, i) => run.cpuMicrosPerRequest / runs.me[i].cpuMicrosPerRequest))
  const medianOf = list => ({ rps: median(list.map(r => r.rps)), p99: median(list.map(r => r.p99)), cpuMicrosPerRequest: median(list.map(r => r.cpuMicrosPerRequest)) })
  const summary = { me: medianOf(runs.me), introspect: medianOf(runs.introspect), rpsRatio, cpuRatio, runs }
  log(`  medians: /users/me ${round(summary.me.rps)} req/s p99 ${summary.me.p99} ms ${round(summary.me.cpuMicrosPerRequest, 1)} µs; /introspect ${round(summary.introspect.rps)} req/s p99 ${summary.introspect.p99} ms ${round(summary.introspect.cpuMicrosPerRequest, 1)} µs; req/s ratio ${round(rpsRatio, 2)}, CPU ratio ${round(cpuRatio, 2)}`)
  return summary
}

/** --introspect-only: one seeded SQLite instance, scenario [1i], nothing else. */
async function introspectOnly () {
  const env = serviceEnvironment()
  const config = loadConfig(env)
  log(`gatehouse bench, scenario [1i] only${QUICK ? ' (--quick)' : ''}: ${availableParallelism()} cores, node ${process.version}, load average at start ${loadavg().map(l => l.toFixed(2)).join(' ')}, AUTH_CACHE_SIZE=${config.authCacheSize}`)
  const dataDir = join(tmp, 'small')
  const small = await seedStore({ dataDir, userCount: TOKEN_USERS, passwordHash: await passwordHashAtCost(config.passwords.bcryptCost) })
  const authorization = await seedIntrospector({ dataDir })
  const target = await startService('sqlite 1k', env, dataDir)
  await introspectScenario(target, await mintTokens(env, small.sessions), authorization)
  logMemory('POST /introspect')
}

async function main () {
  if (INTROSPECT_ONLY) return await introspectOnly()
  const loadAtStart = loadavg()
  const env = serviceEnvironment()
  const config = loadConfig(env)
  const { bcryptCost, hashConcurrency, hashQueueMax, hashQueueTimeoutMs } = config.passwords
  log(`gatehouse bench${QUICK ? ' (--quick: shortened, not the real budgets run)' : ''}: ${availableParallelism()} cores, ${cpus()[0]?.model}, node ${process.version}, load average at start ${loadAtStart.map(l => l.toFixed(2)).join(' ')}`)
  log(`service: NODE_ENV=production, embedded SQLite unless said, HS256 unless said, LOG_LEVEL=warn, RATE_LIMIT_MAX=0 (general limiter off), BCRYPT_COST=${bcryptCost}, HASH_CONCURRENCY=${hashConcurrency}, HASH_QUEUE_MAX=${hashQueueMax}, HASH_QUEUE_TIMEOUT_MS=${hashQueueTimeoutMs}, UV_THREADPOOL_SIZE=${env.UV_THREADPOOL_SIZE ?? '4 (default)'}, AUTH_CACHE_SIZE=${config.authCacheSize}, node flags: ${nodeFlags().join(' ') || 'none'}`)
  log(`load generators: autocannon in a child process of its own (bench/lib/load-client.mjs), at nice ${loadGeneratorNice()} (BENCH_LOAD_NICE), as is the login flood's client`)

  log(`seeding: SQLite stores of 1,000 (three copies), ${TOKEN_USERS + REFRESH_SESSIONS}, 20,000 and 100,000 users, and a PostgreSQL schema of 1,000 users (pre-hashed rows, one session each)…`)
  const passwordHash = await passwordHashAtCost(bcryptCost)
  const smallDir = join(tmp, 'small')
  const bigDir = join(tmp, 'big')
  const manyDir = join(tmp, 'many')
  const refreshDir = join(tmp, 'refresh')
  const small = await seedStore({ dataDir: smallDir, userCount: TOKEN_USERS, passwordHash })
  const big = await seedStore({ dataDir: bigDir, userCount: BIG_STORE_USERS, passwordHash })
  const many = await seedStore({ dataDir: manyDir, userCount: MANY_TOKENS, passwordHash })
  // Users 1…1,000 are read by the load; the others' sessions are refreshed in the background.
  const withRefreshes = await seedStore({ dataDir: refreshDir, userCount: TOKEN_USERS + REFRESH_SESSIONS, passwordHash })
  const uncachedDir = copyStore(smallDir, 'uncached')
  const es256Dir = copyStore(smallDir, 'es256')
  const introspector = await seedIntrospector({ dataDir: smallDir })
  postgres = await createPostgresSchema()
  const pgSeed = await seedPostgres({ url: postgres.url, userCount: TOKEN_USERS, passwordHash })
  const pgDir = join(tmp, 'postgres') // working directory only: the data is in PostgreSQL
  mkdirSync(pgDir)
  const pgEnv = { ...env, DATABASE_URL: postgres.url }
  const esEnv = es256Environment({ ...env, AUTH_CACHE_SIZE: '0' }, tmp)

  const floor = await startFloor({ name: 'floor', auth: false })
  const authFloor = await startFloor({ name: 'auth floor', auth: true, secret: env.JWT_SECRET, issuer: config.publicUrl, audience: config.jwt.audience })
  const gatehouse = await startService('sqlite 1k', env, smallDir)
  const gatehouseBig = await startService('sqlite 100k', env, bigDir)
  const gatehouseMany = await startService('sqlite 20k tokens', env, manyDir)
  const gatehouseUncached = await startService('sqlite caches off', { ...env, AUTH_CACHE_SIZE: '0' }, uncachedDir)
  const gatehouseRefresh = await startService('sqlite 1k + refreshes', env, refreshDir)
  const postgresStrict = await startService('postgres strict', { ...pgEnv, POSTGRES_SESSION_CACHE: 'false' }, pgDir)
  const postgresCached = await startService('postgres cache', { ...pgEnv, POSTGRES_SESSION_CACHE: 'true' }, pgDir)
  const gatehouseEs256 = await startService('es256 caches off', esEnv, es256Dir)
  const sampler = setInterval(() => { for (const s of services) if (!s.exited) memoryOf(s) }, 250)

  // 1: GET /users/me, 50 connections; every target in turn in each round, one under load at a time.
  const smallTokens = await mintTokens(env, small.sessions)
  const refreshSessions = withRefreshes.sessions.slice(TOKEN_USERS)
  const meTargets = [
    { key: 'floor', target: floor, tokens: smallTokens },
    { key: 'authFloor', target: authFloor, tokens: smallTokens },
    { key: 'sqlite1k', target: gatehouse, tokens: smallTokens },
    { key: 'sqlite100k', target: gatehouseBig, tokens: await mintTokens(env, spread(big.sessions, TOKEN_USERS)) },
    { key: 'sqlite20k', target: gatehouseMany, tokens: await mintTokens(env, many.sessions) },
    { key: 'sqliteUncached', target: gatehouseUncached, tokens: smallTokens },
    {
      key: 'sqliteRefreshes',
      target: gatehouseRefresh,
      tokens: await mintTokens(env, withRefreshes.sessions.slice(0, TOKEN_USERS)),
      // The refresh tokens rotate: the loader keeps each session's latest one across rounds.
      background: () => startRefreshLoad({ url: gatehouseRefresh.url, sessions: refreshSessions, perSecond: REFRESHES_PER_SECOND })
    },
    { key: 'postgresStrict', target: postgresStrict, tokens: await mintTokens(env, pgSeed.sessions) },
    { key: 'postgresCached', target: postgresCached, tokens: await mintTokens(env, pgSeed.sessions) },
    { key: 'es256Uncached', target: gatehouseEs256, tokens: await mintTokens(esEnv, small.sessions) }
  ]
  log(`\n[1] GET /users/me, ${ME_CONNECTIONS} connections, ${ME_ROUNDS} interleaved rounds of ${ME_SECONDS} s per target (a round: ${meTargets.map(t => t.target.name).join(', ')})`)
  for (const t of meTargets) await measureMe(t, WARMUP_SECONDS)
  const meRuns = Object.fromEntries(meTargets.map(t => [t.key, []]))
  for (let r = 1; r <= ME_ROUNDS; r++) {
    for (const t of meTargets) {
      const result = await measureMe(t, ME_SECONDS)
      meRuns[t.key].push(result)
      const refreshes = result.background === undefined ? '' : `  background: ${round(result.background.perSecond, 1)} refreshes/s (${result.background.failed} failed)`
      log(`  round ${r} ${t.target.name.padEnd(22)} ${String(round(result.rps)).padStart(6)} req/s  p99 ${result.p99} ms  ${round(result.cpuMicrosPerRequest, 1)} µs CPU/request${result.non2xx + result.errors > 0 ? `  (${result.non2xx} non-2xx, ${result.errors} errors)` : ''}${refreshes}`)
    }
  }
  logMemory('GET /users/me')
  const introspection = await introspectScenario(gatehouse, smallTokens, introspector)
  const ratioOf = (a, b) => median(meRuns[a].map((run, i) => run.rps / meRuns[b][i].rps))
  const cpuRatioOf = (a, b) => median(meRuns[a].map((run, i) => run.cpuMicrosPerRequest / meRuns[b][i].cpuMicrosPerRequest))
  // Only the instances still needed stay up: each later phase's RSS is then its own.
  for (const t of [gatehouseMany, gatehouseUncached, gatehouseRefresh, postgresCached, gatehouseEs256]) await stop(t.handle)

  // 3: POST /token logins/s against the hashing ceiling, measured in each round.
  const loginConnections = 2 * hashConcurrency
  log(`\n[3] POST /token logins, ${loginConnections} connections (2 per hashing slot: one hashing, one waiting) vs the hashing ceiling (${hashConcurrency} ÷ one verify at cost ${bcryptCost})`)
  const usernames = small.sessions.map(s => s.username)
  const loginRuns = []
  for (let r = 1; r <= ROUNDS; r++) {
    const verifyMs = await timeOneVerify(passwordHash)
    const ceiling = hashConcurrency / (verifyMs / 1000)
    const result = await startLogins({ url: gatehouse.url, connections: loginConnections, seconds: SECONDS, usernames, password: BENCH_PASSWORD }).done
    loginRuns.push({ verifyMs, ceiling, ...result })
    log(`  round ${r} one verify ${round(verifyMs, 1)} ms → ceiling ${round(ceiling, 1)}/s; logins ${round(result.rps, 1)}/s  p99 ${result.p99} ms  (${result.status503} × 503)`)
    await sleep(500)
  }

  logMemory('logins')

  // 4: a wrong-password flood from one IP; another IP logs in once a second; /users/me load. Idle rounds interleaved.
  log(`\n[4] login flood: ${FLOOD_CONNECTIONS} connections of wrong passwords from one IP (a fresh one per round), a user from another IP logging in once a second, GET /users/me (${ME_CONNECTIONS} connections); idle /users/me rounds interleaved`)
  const floodTokens = await mintTokens(env, small.sessions)
  const floodUser = { username: usernames.at(-1), password: BENCH_PASSWORD }
  const idleRuns = []
  const floodRuns = []
  for (let r = 1; r <= ROUNDS; r++) {
    const idle = await loadMe({ url: gatehouse.url, connections: ME_CONNECTIONS, seconds: SECONDS, tokens: floodTokens })
    idleRuns.push(idle)
    // A fresh flood address each round: the per-IP limit (LOGIN_MAX_FAILURES_PER_IP, 100 per 15 min) would
    // otherwise turn a later round's flood into instant 429s, which take no hashing at all.
    const flood = await loginFloodRound({
      url: gatehouse.url,
      floodAddress: `127.0.0.${10 + r}`,
      userAddress: '127.0.0.2',
      floodConnections: FLOOD_CONNECTIONS,
      floodUsernames: usernames.slice(0, -1),
      user: floodUser,
      meConnections: ME_CONNECTIONS,
      meTokens: floodTokens,
      seconds: SECONDS,
      passwordHash,
      hashConcurrency
    })
    floodRuns.push({ ...flood.me, flood })
    const counts = Object.entries(flood.flood.counts).map(([status, n]) => `${n} × ${status}`).join(', ')
    log(`  round ${r} idle ${round(idle.rps)} req/s p99 ${idle.p99} ms | flooded ${round(flood.me.rps)} req/s p99 ${flood.me.p99} ms; user from another IP: ${flood.user.ok}/${flood.user.attempts} logins ${JSON.stringify(flood.user.statuses)}, p99 ${round(flood.user.p99)} ms vs one verify ${round(flood.verifyMs)} ms (${round(flood.hashMsUnderFlood)} ms per hash under the flood); flood ${round(flood.flood.perSecond)} answers/s: ${counts}`)
    await sleep(1000)
  }

  logMemory('login flood')

  // 7: memory of a PostgreSQL instance under the same kind of flood (item 6 of issue 13: peak RSS in every scenario).
  await stop(postgresStrict.handle)
  const postgresFlooded = await startService('postgres login flood', pgEnv, pgDir)
  const pgFloodTokens = await mintTokens(env, pgSeed.sessions)
  log(`\n[7] memory: a fresh PostgreSQL instance, GET /users/me (${ME_CONNECTIONS} connections) while ${FLOOD_CONNECTIONS} connections hammer POST /token`)
  const pgFlood = startLogins({ url: postgresFlooded.url, connections: FLOOD_CONNECTIONS, seconds: SECONDS + 10, usernames: pgSeed.sessions.map(s => s.username), password: BENCH_PASSWORD })
  await sleep(1500)
  const pgFloodMe = await loadMe({ url: postgresFlooded.url, connections: ME_CONNECTIONS, seconds: SECONDS, tokens: pgFloodTokens })
  pgFlood.stop()
  const pgFloodLogins = await pgFlood.done
  await stop(postgresFlooded.handle)
  log(`  /users/me ${round(pgFloodMe.rps)} req/s p99 ${pgFloodMe.p99} ms; flood: ${round(pgFloodLogins.rps, 1)} logins/s, ${pgFloodLogins.status503} × 503; peak RSS ${round(postgresFlooded.handle.peakRssKb / 1024, 1)} MB`)

  // 5: soak on the 100k store; RSS sampled every second.
  log(`\n[5] soak: GET /users/me on the 100k store for ${SOAK_SECONDS} s`)
  await stop(gatehouse.handle)
  const soakTokens = await mintTokens(env, spread(big.sessions, TOKEN_USERS))
  const soakRss = []
  const soakStarted = performance.now()
  const soakSampler = setInterval(() => { soakRss.push({ t: (performance.now() - soakStarted) / 1000, mb: memoryOf(gatehouseBig.handle).rssMb }) }, 1000)
  const soak = await loadMe({ url: gatehouseBig.url, connections: ME_CONNECTIONS, seconds: SOAK_SECONDS, tokens: soakTokens })
  clearInterval(soakSampler)
  const rssAt = seconds => soakRss.find(s => s.t >= seconds)?.mb ?? NaN
  const rssEarly = rssAt(SOAK_EARLY_SECONDS)
  const rssEnd = soakRss.at(-1)?.mb ?? NaN
  log(`  ${round(soak.rps)} req/s, p99 ${soak.p99} ms; RSS ${round(rssEarly, 1)} MB after ${SOAK_EARLY_SECONDS} s, ${round(rssEnd, 1)} MB at the end`)

  // 6: start-up with the 100k store (the running instance is stopped first).
  await stop(gatehouseBig.handle)
  const startups = []
  const floorStartups = [] // reference: how long this machine takes to start a bare Fastify process now
  const firstRequests = [] // what start-up leaves to first use
  for (let r = 1; r <= Math.max(3, ROUNDS); r++) {
    const fresh = await startService(`start-up ${r}`, env, bigDir)
    startups.push(fresh.readyMs)
    firstRequests.push(await timeFirstRequests(fresh.url, soakTokens[r % soakTokens.length]))
    memoryOf(fresh.handle)
    await stop(fresh.handle)
    const floorStart = await timeFloorStartup()
    floorStartups.push(floorStart.readyMs)
    await stop(floorStart.handle)
  }
  log(`\n[6] start-up to /health/ready 200, 100k store: ${startups.map(ms => `${round(ms)} ms`).join(', ')} (bare Fastify floor to its first 200: ${floorStartups.map(ms => `${round(ms)} ms`).join(', ')})`)
  const firstMs = pick => firstRequests.map(f => `${round(pick(f).ms, 1)}`).join(', ')
  log(`    first requests after ready, ms per round (then the same request again): GET /users/me ${firstMs(f => f.me)} (${firstMs(f => f.again[0])}), without a token (401) ${firstMs(f => f.unauthorized)} (${firstMs(f => f.again[1])}), POST /token failing validation (400) ${firstMs(f => f.invalid)} (${firstMs(f => f.again[2])})`)
  for (const f of firstRequests) if (f.me.status !== 200 || f.unauthorized.status !== 401 || f.invalid.status !== 400) throw new Error(`unexpected first-request statuses: ${f.me.status} ${f.unauthorized.status} ${f.invalid.status}`)

  clearInterval(sampler)
  await stopAll()
  const loadAtEnd = loadavg()
  const peakOf = handle => handle.peakRssKb / 1024
  const peakRssByProcess = Object.fromEntries(services.map(s => [s.name, round(peakOf(s), 1)]))
  const peakRss = Math.max(...services.map(peakOf))
  log(`\npeak RSS per service process (MB): ${Object.entries(peakRssByProcess).map(([name, mb]) => `${name} ${mb}`).join(', ')}`)

  const meMedian = key => ({
    rps: median(meRuns[key].map(r => r.rps)),
    p99: median(meRuns[key].map(r => r.p99)),
    cpuMicrosPerRequest: median(meRuns[key].map(r => r.cpuMicrosPerRequest))
  })
  const medians = {
    ...Object.fromEntries(meTargets.map(t => [t.key, meMedian(t.key)])),
    refreshesPerSecond: median(meRuns.sqliteRefreshes.map(r => r.background.perSecond)),
    login: {
      verifyMs: median(loginRuns.map(r => r.verifyMs)),
      ceiling: median(loginRuns.map(r => r.ceiling)),
      rps: median(loginRuns.map(r => r.rps)),
      p99: median(loginRuns.map(r => r.p99))
    },
    idle: { rps: median(idleRuns.map(r => r.rps)), p99: median(idleRuns.map(r => r.p99)) },
    flooded: {
      rps: median(floodRuns.map(r => r.rps)),
      p99: median(floodRuns.map(r => r.p99)),
      verifyMs: median(floodRuns.map(r => r.flood.verifyMs)),
      hashMsUnderFlood: median(floodRuns.map(r => r.flood.hashMsUnderFlood)),
      userSuccessRate: median(floodRuns.map(r => r.flood.user.successRate)),
      userP99: median(floodRuns.map(r => r.flood.user.p99)),
      floodAnswersPerSecond: median(floodRuns.map(r => r.flood.flood.perSecond)),
      floodHashedPerRound: median(floodRuns.map(r => r.flood.flood.hashed))
    },
    postgresFlood: { rps: pgFloodMe.rps, p99: pgFloodMe.p99, loginsPerSecond: pgFloodLogins.rps, status503: pgFloodLogins.status503 },
    soak: { rps: soak.rps, p99: soak.p99, rssEarlyMb: rssEarly, rssEndMb: rssEnd },
    startupMs: median(startups),
    floorStartupMs: median(floorStartups),
    firstRequestMs: {
      me: median(firstRequests.map(f => f.me.ms)),
      unauthorized: median(firstRequests.map(f => f.unauthorized.ms)),
      invalid: median(firstRequests.map(f => f.invalid.ms)),
      meAgain: median(firstRequests.map(f => f.again[0].ms))
    },
    peakRssMb: peakRss,
    peakRssByProcess
  }
  const loginRatio = median(loginRuns.map(r => r.rps / r.ceiling))
  const floodRatio = median(floodRuns.map((r, i) => r.rps / idleRuns[i].rps))
  const floodUserP99Ratio = median(floodRuns.map(r => r.flood.user.p99 / r.flood.verifyMs))
  const soakDrift = Math.abs(rssEnd - rssEarly) / rssEarly
  const report = () => true // a figure reported without a budget
  const budgets = [
    ['1', 'sqlite 1k req/s ÷ floor', ratioOf('sqlite1k', 'floor'), '≥ 0.60', v => v >= 0.6],
    ['1', 'sqlite 1k req/s ÷ auth floor', ratioOf('sqlite1k', 'authFloor'), '≥ 1.20', v => v >= 1.2],
    ['2', 'sqlite 100k req/s ÷ sqlite 1k', ratioOf('sqlite100k', 'sqlite1k'), '≥ 0.90', v => v >= 0.9],
    ['1', 'sqlite 20k tokens req/s ÷ auth floor', ratioOf('sqlite20k', 'authFloor'), '≥ 0.70', v => v >= 0.7],
    ['1', 'sqlite caches off req/s ÷ auth floor', ratioOf('sqliteUncached', 'authFloor'), 'report', report],
    ['1', `sqlite 1k + ${REFRESHES_PER_SECOND} refreshes/s ÷ sqlite 1k`, ratioOf('sqliteRefreshes', 'sqlite1k'), '≥ 0.80', v => v >= 0.8],
    ['1', 'postgres strict req/s ÷ auth floor', ratioOf('postgresStrict', 'authFloor'), '≥ 0.50', v => v >= 0.5],
    ['1', 'postgres strict CPU ÷ sqlite caches off CPU', cpuRatioOf('postgresStrict', 'sqliteUncached'), '≤ 2.00', v => v <= 2],
    ['1', 'postgres cache req/s ÷ sqlite 1k', ratioOf('postgresCached', 'sqlite1k'), '≥ 0.90', v => v >= 0.9],
    ['1', 'es256 caches off req/s ÷ auth floor', ratioOf('es256Uncached', 'authFloor'), 'report', report],
    ['1i', 'POST /introspect req/s ÷ GET /users/me (sqlite 1k)', introspection.rpsRatio, 'report', report],
    ['1i', 'POST /introspect CPU ÷ GET /users/me CPU', introspection.cpuRatio, 'report', report],
    ['3', 'logins/s ÷ hashing ceiling', loginRatio, '≥ 0.85', v => v >= 0.85],
    ['4', 'flood from one IP: other IP\'s logins that succeed', medians.flooded.userSuccessRate, '≥ 0.90', v => v >= 0.9],
    ['4', 'flood from one IP: other IP\'s login p99 ÷ one verify', floodUserP99Ratio, '≤ 2.00', v => v <= 2],
    ['4', 'flooded /users/me p99 (ms)', medians.flooded.p99, '≤ 50', v => v <= 50],
    ['4', 'flooded ÷ idle /users/me req/s', floodRatio, '≥ 0.30', v => v >= 0.3],
    ...services.filter(s => !/^start-up/.test(s.name)).map(s => ['5', `peak RSS, ${s.name} (MB)`, peakOf(s), `≤ ${RSS_BUDGET_MB}`, v => v <= RSS_BUDGET_MB]),
    ['5', 'peak RSS, every service process (MB)', peakRss, `≤ ${RSS_BUDGET_MB}`, v => v <= RSS_BUDGET_MB],
    ['5', `RSS drift ${SOAK_EARLY_SECONDS} s → ${SOAK_SECONDS} s soak`, soakDrift, '≤ 0.10', v => v <= 0.1],
    ['6', 'start-up to ready, 100k store (ms)', medians.startupMs, '≤ 1000', v => v <= 1000],
    ['6', 'first GET /users/me after ready (ms)', medians.firstRequestMs.me, 'report', report]
  ].map(([item, name, value, limit, check]) => ({ item, name, value: round(value, 3), limit, pass: check(value), reportOnly: check === report }))

  log(`\nGET /users/me, ${ME_CONNECTIONS} connections (medians of the rounds)`)
  const cpu = m => round(m.cpuMicrosPerRequest, 1)
  const authFloorRatio = key => (key === 'floor' || key === 'authFloor') ? '' : round(ratioOf(key, 'authFloor'), 2)
  log(table(['target', 'req/s', 'p99 ms', 'server CPU µs/request', '÷ auth floor', 'peak RSS MB'], [
    ...meTargets.map(({ key, target }) => [
      { floor: 'floor (bare Fastify)', authFloor: 'auth floor (+ @fastify/jwt)' }[key] ?? target.name,
      round(medians[key].rps), medians[key].p99, cpu(medians[key]), authFloorRatio(key),
      services.includes(target.handle) ? round(peakOf(target.handle), 1) : ''
    ]),
    ['sqlite 1k POST /introspect (item 1i)', round(introspection.introspect.rps), introspection.introspect.p99, round(introspection.introspect.cpuMicrosPerRequest, 1), '', ''],
    ['sqlite 1k idle (item 4)', round(medians.idle.rps), medians.idle.p99, '', '', ''],
    ['sqlite 1k under login flood', round(medians.flooded.rps), medians.flooded.p99, '', '', ''],
    ['postgres under login flood (item 7)', round(pgFloodMe.rps), pgFloodMe.p99, '', '', round(peakOf(postgresFlooded.handle), 1)]
  ]))
  log(`\nbackground writer: ${round(medians.refreshesPerSecond, 1)} refresh_token grants/s (median of the rounds) on ${REFRESH_SESSIONS} other sessions`)
  log(`logins: ${round(medians.login.rps, 1)}/s (p99 ${medians.login.p99} ms) vs ceiling ${round(medians.login.ceiling, 1)}/s (one verify ${round(medians.login.verifyMs, 1)} ms × concurrency ${hashConcurrency}); flood from one IP: the other IP's logins ${round(medians.flooded.userSuccessRate * 100)} % succeed, p99 ${round(medians.flooded.userP99)} ms vs one verify ${round(medians.flooded.verifyMs)} ms (${round(medians.flooded.hashMsUnderFlood)} ms per hash under the flood); the flood got ${round(medians.flooded.floodAnswersPerSecond)} answers/s, ${medians.flooded.floodHashedPerRound} of them hashed per round`)
  log(`load average: at start ${loadAtStart.map(l => l.toFixed(2)).join(' ')}, at end ${loadAtEnd.map(l => l.toFixed(2)).join(' ')} (${availableParallelism()} cores)`)
  log('\nbudgets (ratios: medians of the per-round ratios)')
  log(table(['item', 'measure', 'value', 'budget', ''], budgets.map(b => [b.item, b.name, b.value, b.limit, b.reportOnly ? '' : b.pass ? 'PASS' : 'FAIL'])))

  const results = {
    date: new Date().toISOString(),
    quick: QUICK,
    machine: { nproc: availableParallelism(), cpu: cpus()[0]?.model, node: process.version, loadavgAtStart: loadAtStart, loadavgAtEnd: loadAtEnd },
    settings: {
      rounds: ROUNDS,
      secondsPerRun: SECONDS,
      meRounds: ME_ROUNDS,
      meSecondsPerRun: ME_SECONDS,
      loadGeneratorNice: loadGeneratorNice(),
      meConnections: ME_CONNECTIONS,
      floodConnections: FLOOD_CONNECTIONS,
      loginConnections,
      soakSeconds: SOAK_SECONDS,
      tokenUsers: TOKEN_USERS,
      bigStoreUsers: BIG_STORE_USERS,
      manyTokens: MANY_TOKENS,
      refreshesPerSecond: REFRESHES_PER_SECOND,
      refreshSessions: REFRESH_SESSIONS,
      service: { nodeFlags: nodeFlags(), bcryptCost, hashConcurrency, hashQueueMax, hashQueueTimeoutMs, uvThreadpoolSize: env.UV_THREADPOOL_SIZE ?? null, authCacheSize: config.authCacheSize, rateLimitMax: 0, logLevel: 'warn' }
    },
    medians,
    budgets,
    rounds: { me: meRuns, introspect: introspection.runs, logins: loginRuns, idle: idleRuns, flooded: floodRuns, postgresFlood: { me: pgFloodMe, logins: pgFloodLogins }, startupMs: startups, floorStartupMs: floorStartups, firstRequests, soakRss }
  }
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`)
  const judged = budgets.filter(b => !b.reportOnly)
  log(`\n${judged.filter(b => b.pass).length}/${judged.length} budgets pass; results in bench/results.json`)
}

let cleaning
async function cleanup () {
  cleaning ??= (async () => {
    await stopAll()
    rmSync(tmp, { recursive: true, force: true })
    await postgres?.drop().catch(err => { process.stderr.write(`could not drop PostgreSQL schema ${postgres.schema}: ${err.message}\n`) })
  })()
  await cleaning
}
process.on('exit', killAllNow)
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => { log(`\n${signal}: stopping every process the bench started`); cleanup().finally(() => process.exit(130)) })
}
try {
  await main()
  await cleanup()
} catch (err) {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`)
  await cleanup()
  process.exit(1)
}
