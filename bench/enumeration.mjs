// Enumeration check (issue 7 item 8): login latency for an unknown user, a
// wrong password and a locked-out user must not tell them apart. Runs the
// compiled service (`npm run build` first) at the default BCRYPT_COST=12,
// sends the three kinds of failed login one at a time, interleaved in a
// shuffled order each round, and compares the medians. Prints a table and
// writes bench/enumeration.json. Usage: node bench/enumeration.mjs [--samples N]
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const SERVER = join(ROOT, 'dist', 'gatehouse.mjs')
const PASSWORD = 'Sturdy-Lamp-Orbit-42'
const MAX_FAILURES_PER_USER = 10
const TOLERANCE = 0.10

const { values } = parseArgs({ options: { samples: { type: 'string', default: '60' }, warmup: { type: 'string', default: '5' } } })
const samples = Number(values.samples)
const warmup = Number(values.warmup)
if (!existsSync(SERVER)) throw new Error('dist/gatehouse.mjs is missing: run `npm run build` first')

const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-enumeration-'))
let server
function cleanUp () {
  if (server !== undefined && server.exitCode === null) server.kill('SIGKILL')
  rmSync(dataDir, { recursive: true, force: true })
}
process.on('SIGINT', () => { cleanUp(); process.exit(130) })
process.on('SIGTERM', () => { cleanUp(); process.exit(143) })

async function freePort () {
  return await new Promise((resolve, reject) => {
    const probe = net.createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })
}

const env = {
  PATH: process.env.PATH,
  NODE_ENV: 'production',
  JWT_SECRET: 'enumeration-bench-Zq3vN8xW1pLk5TgR7yHc2MdF9sJb4Ae6',
  DATA_DIR: dataDir,
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  // The general rate limit and the per-IP login limit would turn every kind
  // into a 429 from one client; the per-user limit (default 10) stays.
  RATE_LIMIT_MAX: '0',
  LOGIN_MAX_FAILURES_PER_IP: '1000000',
  LOGIN_MAX_FAILURES_PER_USER: String(MAX_FAILURES_PER_USER)
}

/** Users for the wrong-password kind, each kept below the lockout, and one user to lock out. */
const wrongPasswordUsers = Array.from({ length: Math.ceil((samples + warmup) / (MAX_FAILURES_PER_USER - 2)) }, (_, i) => `member${i}`)
async function seedUsers () {
  const { loadConfig } = await import(join(ROOT, 'dist/src/config.js'))
  const { openStore } = await import(join(ROOT, 'dist/src/store/store.js'))
  const { createPasswordHasher } = await import(join(ROOT, 'dist/src/passwords/password-hasher.js'))
  const { createUserService } = await import(join(ROOT, 'dist/src/users/user-service.js'))
  const config = loadConfig(env)
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 1 })
  const hasher = await createPasswordHasher({ cost: config.passwords.bcryptCost, concurrency: 2, queueMax: 100, queueTimeoutMs: 60_000 })
  const users = createUserService({ store, hasher })
  await Promise.all([...wrongPasswordUsers, 'locked'].map(username => users.register({ username, password: PASSWORD })))
  await store.close()
  return config.passwords.bcryptCost
}

async function waitUntilReady (baseUrl) {
  for (let i = 0; i < 300; i++) {
    if (server.exitCode !== null) throw new Error('the service exited during start-up')
    try { if ((await fetch(`${baseUrl}/health/ready`)).status === 200) return } catch {}
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  throw new Error('the service did not become ready')
}

async function login (baseUrl, username, password) {
  const started = performance.now()
  const res = await fetch(`${baseUrl}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password })
  })
  const body = await res.text()
  return { ms: performance.now() - started, status: res.status, body }
}

const median = values => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
const shuffle = items => {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]]
  }
  return items
}

try {
  const cost = await seedUsers()
  const port = await freePort()
  const baseUrl = `http://127.0.0.1:${port}`
  server = spawn(process.execPath, [SERVER], { cwd: dataDir, env: { ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] })
  await waitUntilReady(baseUrl)

  // Lock out one user: MAX_FAILURES_PER_USER wrong passwords.
  for (let i = 0; i < MAX_FAILURES_PER_USER; i++) await login(baseUrl, 'locked', 'wrong-password')

  let unknownCounter = 0
  let memberAttempts = 0
  const kinds = {
    unknown: () => login(baseUrl, `nobody${unknownCounter++}`, PASSWORD),
    wrong_password: () => login(baseUrl, wrongPasswordUsers[Math.floor(memberAttempts++ / (MAX_FAILURES_PER_USER - 2))], 'wrong-password'),
    locked_out: () => login(baseUrl, 'locked', PASSWORD)
  }
  const expected = { unknown: 401, wrong_password: 401, locked_out: 429 }
  const times = { unknown: [], wrong_password: [], locked_out: [] }
  const bodies = { unknown: new Set(), wrong_password: new Set(), locked_out: new Set() }
  for (let round = 0; round < warmup + samples; round++) {
    for (const kind of shuffle(Object.keys(kinds))) {
      const result = await kinds[kind]()
      if (result.status !== expected[kind]) throw new Error(`${kind}: expected ${expected[kind]}, got ${result.status} ${result.body}`)
      if (round >= warmup) { times[kind].push(result.ms); bodies[kind].add(result.body) }
    }
  }

  const medians = Object.fromEntries(Object.entries(times).map(([kind, list]) => [kind, median(list)]))
  const pairs = [['wrong_password', 'unknown'], ['locked_out', 'unknown'], ['locked_out', 'wrong_password']]
  const ratios = Object.fromEntries(pairs.map(([a, b]) => [`${a}/${b}`, medians[a] / medians[b]]))
  const pass = Object.values(ratios).every(r => Math.abs(r - 1) <= TOLERANCE)
  const sameBody = bodies.unknown.size === 1 && bodies.wrong_password.size === 1 && [...bodies.unknown][0] === [...bodies.wrong_password][0]

  console.log(`\nLogin latency by kind of failure (BCRYPT_COST=${cost}, ${samples} samples each after ${warmup} warm-up rounds, interleaved)\n`)
  console.log('kind             status  median ms   p10 ms   p90 ms')
  for (const kind of Object.keys(times)) {
    const sorted = [...times[kind]].sort((a, b) => a - b)
    const pct = p => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]
    console.log(`${kind.padEnd(16)} ${String(expected[kind]).padEnd(7)} ${medians[kind].toFixed(1).padStart(9)} ${pct(0.1).toFixed(1).padStart(8)} ${pct(0.9).toFixed(1).padStart(8)}`)
  }
  console.log('\nratio of medians                  value   budget')
  for (const [name, ratio] of Object.entries(ratios)) console.log(`${name.padEnd(32)} ${ratio.toFixed(3).padStart(6)}   1 ± ${TOLERANCE}`)
  console.log(`\nunknown user and wrong password answer the same body: ${sameBody ? 'yes' : 'NO'}`)
  console.log(`${pass && sameBody ? 'PASS' : 'FAIL'}: medians within ${TOLERANCE * 100}% of each other\n`)

  writeFileSync(join(ROOT, 'bench', 'enumeration.json'), JSON.stringify({
    date: new Date().toISOString(), node: process.version, bcryptCost: cost, samples, warmup,
    medianMs: medians, ratios, tolerance: TOLERANCE, sameBody, pass: pass && sameBody
  }, null, 2) + '\n')
  process.exitCode = pass && sameBody ? 0 : 1
} finally {
  cleanUp()
}
