// npm run bench [-- --quick] : the performance budgets of issue 6, measured in one run.
// See docs/benchmark.md. Writes bench/results.json; stops every process it started.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { compare } from '@node-rs/bcrypt'
import { loadConfig } from '../dist/src/config.js'
import { loadMe, startLogins } from './lib/load.mjs'
import { loginFloodRound } from './lib/login-flood.mjs'
import { cpuMicrosOf, killAllNow, memoryOf, stop, stopAll } from './lib/processes.mjs'
import { median, round, table } from './lib/stats.mjs'
import { BENCH_PASSWORD, mintTokens, passwordHashAtCost, seedStore, spread } from './lib/store-seed.mjs'
import { nodeFlags, serviceEnvironment, startFloor, startGatehouse, timeFloorStartup } from './lib/targets.mjs'

const QUICK = process.argv.includes('--quick')
const ROUNDS = 3
const SECONDS = QUICK ? 4 : 10 // one measurement
const WARMUP_SECONDS = QUICK ? 1 : 3
const ME_CONNECTIONS = 50
const FLOOD_CONNECTIONS = 64
const SOAK_SECONDS = QUICK ? 30 : 120
const SOAK_EARLY_SECONDS = QUICK ? 10 : 20
const TOKEN_USERS = 1000
const BIG_STORE_USERS = 100_000
const RESULTS = fileURLToPath(new URL('./results.json', import.meta.url))

const log = message => process.stdout.write(`${message}\n`)
const tmp = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'))
const services = [] // every gatehouse process started, for the peak-RSS budget

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

async function main () {
  const env = serviceEnvironment()
  const config = loadConfig(env)
  const { bcryptCost, hashConcurrency, hashQueueMax, hashQueueTimeoutMs } = config.passwords
  log(`gatehouse bench${QUICK ? ' (--quick: shortened, not the real budgets run)' : ''}: ${availableParallelism()} cores, ${cpus()[0]?.model}, node ${process.version}`)
  log(`service: NODE_ENV=production, embedded SQLite, HS256, LOG_LEVEL=warn, RATE_LIMIT_MAX=0 (general limiter off), BCRYPT_COST=${bcryptCost}, HASH_CONCURRENCY=${hashConcurrency}, HASH_QUEUE_MAX=${hashQueueMax}, HASH_QUEUE_TIMEOUT_MS=${hashQueueTimeoutMs}, UV_THREADPOOL_SIZE=${env.UV_THREADPOOL_SIZE ?? '4 (default)'}, node flags: ${nodeFlags().join(' ') || 'none'}`)

  log('seeding: 1,000-user store and 100,000-user store (pre-hashed rows, one session each)…')
  const passwordHash = await passwordHashAtCost(bcryptCost)
  const smallDir = join(tmp, 'small')
  const bigDir = join(tmp, 'big')
  const small = await seedStore({ dataDir: smallDir, userCount: TOKEN_USERS, passwordHash })
  const big = await seedStore({ dataDir: bigDir, userCount: BIG_STORE_USERS, passwordHash })

  const floor = await startFloor({ name: 'floor', auth: false })
  const authFloor = await startFloor({ name: 'auth floor', auth: true, secret: env.JWT_SECRET, issuer: config.publicUrl, audience: config.jwt.audience })
  const gatehouse = await startService('gatehouse', env, smallDir)
  const gatehouseBig = await startService('gatehouse 100k', env, bigDir)
  const sampler = setInterval(() => { for (const s of services) if (!s.exited) memoryOf(s) }, 250)

  // 1 + 2: GET /users/me, 50 connections, four targets interleaved.
  const smallTokens = await mintTokens(env, small.sessions)
  const bigTokens = await mintTokens(env, spread(big.sessions, TOKEN_USERS))
  const meTargets = [
    { target: floor, tokens: smallTokens },
    { target: authFloor, tokens: smallTokens },
    { target: gatehouse, tokens: smallTokens },
    { target: gatehouseBig, tokens: bigTokens }
  ]
  log(`\n[1, 2] GET /users/me, ${ME_CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${SECONDS} s per target`)
  for (const { target, tokens } of meTargets) await loadMe({ url: target.url, connections: ME_CONNECTIONS, seconds: WARMUP_SECONDS, tokens })
  const meRuns = Object.fromEntries(meTargets.map(t => [t.target.name, []]))
  for (let r = 1; r <= ROUNDS; r++) {
    for (const { target, tokens } of meTargets) {
      const cpuBefore = cpuMicrosOf(target.handle)
      const result = await loadMe({ url: target.url, connections: ME_CONNECTIONS, seconds: SECONDS, tokens })
      // The target's own CPU (user + kernel) per answered request: less noisy than req/s on a shared machine.
      result.cpuMicrosPerRequest = (cpuMicrosOf(target.handle) - cpuBefore) / Math.max(1, result.ok)
      meRuns[target.name].push(result)
      log(`  round ${r} ${target.name.padEnd(15)} ${round(result.rps)} req/s  p99 ${result.p99} ms  ${round(result.cpuMicrosPerRequest, 1)} µs CPU/request${result.non2xx + result.errors > 0 ? `  (${result.non2xx} non-2xx, ${result.errors} errors)` : ''}`)
    }
  }
  logMemory('GET /users/me')
  const ratioOf = (a, b) => median(meRuns[a].map((run, i) => run.rps / meRuns[b][i].rps))

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

  // 5: soak on the 100k store; RSS sampled every second.
  log(`\n[5] soak: GET /users/me on the 100k store for ${SOAK_SECONDS} s`)
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
  for (let r = 1; r <= ROUNDS; r++) {
    const fresh = await startService(`gatehouse start-up ${r}`, env, bigDir)
    startups.push(fresh.readyMs)
    memoryOf(fresh.handle)
    await stop(fresh.handle)
    const floorStart = await timeFloorStartup()
    floorStartups.push(floorStart.readyMs)
    await stop(floorStart.handle)
  }
  log(`\n[6] start-up to /health/ready 200, 100k store: ${startups.map(ms => `${round(ms)} ms`).join(', ')} (bare Fastify floor to its first 200: ${floorStartups.map(ms => `${round(ms)} ms`).join(', ')})`)

  clearInterval(sampler)
  await stopAll()
  const peakRss = Math.max(...services.map(s => s.peakRssKb / 1024))
  const peakRssByProcess = Object.fromEntries(services.map(s => [s.name, round(s.peakRssKb / 1024, 1)]))
  log(`\npeak RSS per service process (MB): ${Object.entries(peakRssByProcess).map(([name, mb]) => `${name} ${mb}`).join(', ')}`)

  const meMedian = name => ({
    rps: median(meRuns[name].map(r => r.rps)),
    p99: median(meRuns[name].map(r => r.p99)),
    cpuMicrosPerRequest: median(meRuns[name].map(r => r.cpuMicrosPerRequest))
  })
  const medians = {
    floor: meMedian('floor'),
    authFloor: meMedian('auth floor'),
    gatehouse: meMedian('gatehouse'),
    gatehouse100k: meMedian('gatehouse 100k'),
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
    soak: { rps: soak.rps, p99: soak.p99, rssEarlyMb: rssEarly, rssEndMb: rssEnd },
    startupMs: median(startups),
    floorStartupMs: median(floorStartups),
    peakRssMb: peakRss,
    peakRssByProcess
  }
  const loginRatio = median(loginRuns.map(r => r.rps / r.ceiling))
  const floodRatio = median(floodRuns.map((r, i) => r.rps / idleRuns[i].rps))
  const floodUserP99Ratio = median(floodRuns.map(r => r.flood.user.p99 / r.flood.verifyMs))
  const soakDrift = Math.abs(rssEnd - rssEarly) / rssEarly
  const budgets = [
    ['1', 'gatehouse req/s ÷ floor', ratioOf('gatehouse', 'floor'), '≥ 0.60', v => v >= 0.6],
    ['1', 'gatehouse req/s ÷ auth floor', ratioOf('gatehouse', 'auth floor'), '≥ 1.00', v => v >= 1.0],
    ['2', 'gatehouse 100k req/s ÷ gatehouse 1k', ratioOf('gatehouse 100k', 'gatehouse'), '≥ 0.90', v => v >= 0.9],
    ['3', 'logins/s ÷ hashing ceiling', loginRatio, '≥ 0.85', v => v >= 0.85],
    ['4', 'flood from one IP: other IP\'s logins that succeed', medians.flooded.userSuccessRate, '≥ 0.90', v => v >= 0.9],
    ['4', 'flood from one IP: other IP\'s login p99 ÷ one verify', floodUserP99Ratio, '≤ 2.00', v => v <= 2],
    ['4', 'flooded /users/me p99 (ms)', medians.flooded.p99, '≤ 50', v => v <= 50],
    ['4', 'flooded ÷ idle /users/me req/s', floodRatio, '≥ 0.30', v => v >= 0.3],
    ['5', 'peak RSS of the service (MB)', peakRss, '≤ 150', v => v <= 150],
    ['5', `RSS drift ${SOAK_EARLY_SECONDS} s → ${SOAK_SECONDS} s soak`, soakDrift, '≤ 0.10', v => v <= 0.1],
    ['6', 'start-up to ready, 100k store (ms)', medians.startupMs, '≤ 1000', v => v <= 1000]
  ].map(([item, name, value, limit, check]) => ({ item, name, value: round(value, 3), limit, pass: check(value) }))

  log('\nGET /users/me, 50 connections (medians of the rounds)')
  const cpu = m => round(m.cpuMicrosPerRequest, 1)
  log(table(['target', 'req/s', 'p99 ms', 'server CPU µs/request'], [
    ['floor (bare Fastify)', round(medians.floor.rps), medians.floor.p99, cpu(medians.floor)],
    ['auth floor (+ @fastify/jwt)', round(medians.authFloor.rps), medians.authFloor.p99, cpu(medians.authFloor)],
    ['gatehouse, 1k users', round(medians.gatehouse.rps), medians.gatehouse.p99, cpu(medians.gatehouse)],
    ['gatehouse, 100k users', round(medians.gatehouse100k.rps), medians.gatehouse100k.p99, cpu(medians.gatehouse100k)],
    ['gatehouse idle (item 4)', round(medians.idle.rps), medians.idle.p99, ''],
    ['gatehouse under login flood', round(medians.flooded.rps), medians.flooded.p99, '']
  ]))
  log(`\nlogins: ${round(medians.login.rps, 1)}/s (p99 ${medians.login.p99} ms) vs ceiling ${round(medians.login.ceiling, 1)}/s (one verify ${round(medians.login.verifyMs, 1)} ms × concurrency ${hashConcurrency}); flood from one IP: the other IP's logins ${round(medians.flooded.userSuccessRate * 100)} % succeed, p99 ${round(medians.flooded.userP99)} ms vs one verify ${round(medians.flooded.verifyMs)} ms (${round(medians.flooded.hashMsUnderFlood)} ms per hash under the flood); the flood got ${round(medians.flooded.floodAnswersPerSecond)} answers/s, ${medians.flooded.floodHashedPerRound} of them hashed per round`)
  log('\nbudgets')
  log(table(['item', 'measure', 'value', 'budget', ''], budgets.map(b => [b.item, b.name, b.value, b.limit, b.pass ? 'PASS' : 'FAIL'])))

  const results = {
    date: new Date().toISOString(),
    quick: QUICK,
    machine: { nproc: availableParallelism(), cpu: cpus()[0]?.model, node: process.version, loadavgAtEnd: loadavg() },
    settings: {
      rounds: ROUNDS,
      secondsPerRun: SECONDS,
      meConnections: ME_CONNECTIONS,
      floodConnections: FLOOD_CONNECTIONS,
      loginConnections,
      soakSeconds: SOAK_SECONDS,
      tokenUsers: TOKEN_USERS,
      bigStoreUsers: BIG_STORE_USERS,
      service: { nodeFlags: nodeFlags(), bcryptCost, hashConcurrency, hashQueueMax, hashQueueTimeoutMs, uvThreadpoolSize: env.UV_THREADPOOL_SIZE ?? null, rateLimitMax: 0, logLevel: 'warn' }
    },
    medians,
    budgets,
    rounds: { me: meRuns, logins: loginRuns, idle: idleRuns, flooded: floodRuns, startupMs: startups, floorStartupMs: floorStartups, soakRss }
  }
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`)
  log(`\n${budgets.filter(b => b.pass).length}/${budgets.length} budgets pass; results in bench/results.json`)
}

let cleaning
async function cleanup () {
  cleaning ??= (async () => {
    await stopAll()
    rmSync(tmp, { recursive: true, force: true })
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
