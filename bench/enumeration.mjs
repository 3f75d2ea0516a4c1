// Enumeration check (issue 7 item 8, issue 11 item 5, issue 13 item 5): the
// latency of a failed login must not tell its kind apart. Two groups, since
// the status already tells them apart: 401s (an unknown user, a wrong password
// for a user whose hash is of the configured scheme (PASSWORD_HASH), for one
// whose bcrypt hash has a lower cost (created before BCRYPT_COST was raised),
// for one whose hash is of the other scheme (argon2id at ARGON2_* with bcrypt
// configured, bcrypt at BCRYPT_COST with argon2id), for an unusable stored
// hash, a disabled user and a malformed username), which each do the same
// hashing work, and 429s (a locked-out known username and
// a locked-out unknown one), which do none. Runs the compiled service
// (`npm run build` first) at the default BCRYPT_COST=12 and ARGON2_*, with
// `--scheme bcrypt|argon2id` for PASSWORD_HASH (default bcrypt), sends the kinds one
// at a time, interleaved in a shuffled order each round, and requires every
// median within 10 % of every other of its group (largest / smallest).
// Prints a table and writes bench/enumeration.json.
// Usage: node bench/enumeration.mjs [--scheme bcrypt|argon2id] [--samples N] [--warmup N]
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const SERVER = join(ROOT, 'dist', 'gatehouse.mjs')
const PASSWORD = 'Sturdy-Lamp-Orbit-42'
const MAX_FAILURES_PER_USER = 10
const TOLERANCE = 0.10
const LOWER_COST_BY = 2
/** 429s are cheap: each round sends each of them this many times, for a finer median. */
const LOCKED_REPEATS = 5
// No scheme can check it: the hasher checks the password against its dummy hashes instead.
const UNUSABLE_HASH = '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$!'

const { values } = parseArgs({ options: { scheme: { type: 'string', default: 'bcrypt' }, samples: { type: 'string', default: '60' }, warmup: { type: 'string', default: '5' } } })
const samples = Number(values.samples)
const warmup = Number(values.warmup)
const scheme = values.scheme
if (scheme !== 'bcrypt' && scheme !== 'argon2id') throw new Error('--scheme is bcrypt or argon2id')
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
  PASSWORD_HASH: scheme,
  // The general rate limit and the per-IP login limit would turn every kind
  // into a 429 from one client; the per-user limit (default 10) stays.
  RATE_LIMIT_MAX: '0',
  LOGIN_MAX_FAILURES_PER_IP: '1000000',
  LOGIN_MAX_FAILURES_PER_USER: String(MAX_FAILURES_PER_USER)
}

/** Users for each wrong-password kind, each kept below the lockout, and one user to lock out. */
const usersPerKind = Math.ceil((samples + warmup) / (MAX_FAILURES_PER_USER - 2))
const pool = prefix => Array.from({ length: usersPerKind }, (_, i) => `${prefix}${i}`)
const pools = { wrong_password: pool('member'), lower_cost: pool('veteran'), other_scheme: pool('legacy'), unusable_hash: pool('broken'), disabled: pool('former') }
async function seedUsers () {
  const { loadConfig } = await import(join(ROOT, 'dist/src/config.js'))
  const { openStore } = await import(join(ROOT, 'dist/src/store/store.js'))
  const { createPasswordHasher } = await import(join(ROOT, 'dist/src/passwords/password-hasher.js'))
  const { createUserService } = await import(join(ROOT, 'dist/src/users/user-service.js'))
  const config = loadConfig(env)
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 1 })
  const { bcryptCost, argon2 } = config.passwords
  const hasherOf = async (scheme, cost = bcryptCost) => await createPasswordHasher({ scheme, cost, argon2, concurrency: 2, queueMax: 100, queueTimeoutMs: 60_000 })
  const users = createUserService({ store, hasher: await hasherOf(scheme) })
  const otherSchemeUsers = createUserService({ store, hasher: await hasherOf(scheme === 'bcrypt' ? 'argon2id' : 'bcrypt') })
  const lowerCost = bcryptCost - LOWER_COST_BY
  const lowerCostUsers = createUserService({ store, hasher: await hasherOf('bcrypt', lowerCost) })
  await Promise.all([
    ...[...pools.wrong_password, ...pools.unusable_hash, 'locked'].map(username => users.register({ username, password: PASSWORD })),
    ...pools.disabled.map(username => users.register({ username, password: PASSWORD, disabled: true })),
    ...pools.other_scheme.map(username => otherSchemeUsers.register({ username, password: PASSWORD })),
    ...pools.lower_cost.map(username => lowerCostUsers.register({ username, password: PASSWORD }))
  ])
  for (const username of pools.unusable_hash) await store.users.setPasswordHash((await store.users.findByUsername(username)).id, UNUSABLE_HASH)
  await store.close()
  return { cost: bcryptCost, lowerCost, argon2 }
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
  const { cost, lowerCost, argon2 } = await seedUsers()
  const port = await freePort()
  const baseUrl = `http://127.0.0.1:${port}`
  server = spawn(process.execPath, [SERVER], { cwd: dataDir, env: { ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] })
  await waitUntilReady(baseUrl)

  // Lock out one user and one username that does not exist: MAX_FAILURES_PER_USER wrong passwords each.
  for (let i = 0; i < MAX_FAILURES_PER_USER; i++) {
    await login(baseUrl, 'locked', 'wrong-password')
    await login(baseUrl, 'nobody-locked', 'wrong-password')
  }

  let fresh = 0
  const attempts = Object.fromEntries(Object.keys(pools).map(kind => [kind, 0]))
  const nextOf = kind => pools[kind][Math.floor(attempts[kind]++ / (MAX_FAILURES_PER_USER - 2))]
  const kinds = {
    unknown: () => login(baseUrl, `nobody${fresh++}`, PASSWORD),
    wrong_password: () => login(baseUrl, nextOf('wrong_password'), 'wrong-password'),
    lower_cost: () => login(baseUrl, nextOf('lower_cost'), 'wrong-password'),
    other_scheme: () => login(baseUrl, nextOf('other_scheme'), 'wrong-password'),
    unusable_hash: () => login(baseUrl, nextOf('unusable_hash'), 'wrong-password'),
    disabled: () => login(baseUrl, nextOf('disabled'), 'wrong-password'),
    malformed_username: () => login(baseUrl, `no such name ${fresh++}!`, PASSWORD),
    locked_out: () => login(baseUrl, 'locked', PASSWORD),
    locked_out_unknown: () => login(baseUrl, 'nobody-locked', PASSWORD)
  }
  const labels = {
    unknown: 'unknown user',
    wrong_password: `wrong password, ${scheme}`,
    lower_cost: `wrong password, bcrypt ${lowerCost}`,
    other_scheme: `wrong password, ${scheme === 'bcrypt' ? 'argon2id' : 'bcrypt'}`,
    unusable_hash: 'unusable stored hash',
    disabled: 'disabled, wrong password',
    malformed_username: 'malformed username',
    locked_out: 'locked out, known user',
    locked_out_unknown: 'locked out, unknown user'
  }
  const expected = Object.fromEntries(Object.keys(kinds).map(kind => [kind, kind.startsWith('locked_out') ? 429 : 401]))
  const groups = { 401: Object.keys(kinds).filter(kind => expected[kind] === 401), 429: Object.keys(kinds).filter(kind => expected[kind] === 429) }
  const times = Object.fromEntries(Object.keys(kinds).map(kind => [kind, []]))
  const bodies401 = new Set()
  for (let round = 0; round < warmup + samples; round++) {
    const order = shuffle(Object.keys(kinds).flatMap(kind => Array(expected[kind] === 429 ? LOCKED_REPEATS : 1).fill(kind)))
    for (const kind of order) {
      const result = await kinds[kind]()
      if (result.status !== expected[kind]) throw new Error(`${kind}: expected ${expected[kind]}, got ${result.status} ${result.body}`)
      if (round >= warmup) {
        times[kind].push(result.ms)
        if (result.status === 401) bodies401.add(result.body)
      }
    }
  }

  const medians = Object.fromEntries(Object.entries(times).map(([kind, list]) => [kind, median(list)]))
  const ratios = Object.fromEntries(Object.keys(kinds).map(kind => [kind, medians[kind] / medians[groups[expected[kind]][0]]]))
  const spreadOf = group => Math.max(...group.map(kind => medians[kind])) / Math.min(...group.map(kind => medians[kind]))
  const largestOverSmallest = { 401: spreadOf(groups[401]), 429: spreadOf(groups[429]) }
  const pass = Object.values(largestOverSmallest).every(ratio => ratio - 1 <= TOLERANCE)
  const sameBody = bodies401.size === 1

  console.log(`\nLogin latency by kind of failure (PASSWORD_HASH=${scheme}, BCRYPT_COST=${cost}, ARGON2 m=${argon2.memoryKib},t=${argon2.iterations},p=${argon2.parallelism}; load average ${loadavg().map(l => l.toFixed(2)).join(' ')}; ${samples} samples each after ${warmup} warm-up rounds, ${samples * LOCKED_REPEATS} for 429s, interleaved)\n`)
  console.log('kind                          status  median ms   p10 ms   p90 ms   ÷ first of its status')
  for (const kind of Object.keys(times)) {
    const sorted = [...times[kind]].sort((a, b) => a - b)
    const pct = p => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]
    console.log(`${labels[kind].padEnd(29)} ${String(expected[kind]).padEnd(7)} ${medians[kind].toFixed(2).padStart(9)} ${pct(0.1).toFixed(2).padStart(8)} ${pct(0.9).toFixed(2).padStart(8)} ${ratios[kind].toFixed(3).padStart(11)}`)
  }
  for (const status of ['401', '429']) {
    console.log(`\n${status}s: largest median ÷ smallest median: ${largestOverSmallest[status].toFixed(3)} (budget 1 + ${TOLERANCE})`)
  }
  console.log(`a 429 answers in ${(medians.locked_out / medians.unknown * 100).toFixed(1)} % of a 401's time: refused attempts do no hashing`)
  console.log(`every 401 answers the same body: ${sameBody ? 'yes' : 'NO'}`)
  console.log(`${pass && sameBody ? 'PASS' : 'FAIL'}: every median within ${TOLERANCE * 100} % of every other of its status\n`)

  writeFileSync(join(ROOT, 'bench', scheme === 'bcrypt' ? 'enumeration.json' : `enumeration-${scheme}.json`), JSON.stringify({
    date: new Date().toISOString(),
    node: process.version,
    passwordHash: scheme,
    argon2,
    loadAverage: loadavg(),
    bcryptCost: cost,
    lowerBcryptCost: lowerCost,
    samples,
    warmup,
    medianMs: medians,
    lockedRepeats: LOCKED_REPEATS,
    groups,
    ratiosToFirstOfGroup: ratios,
    largestOverSmallest,
    tolerance: TOLERANCE,
    sameBody,
    pass: pass && sameBody
  }, null, 2) + '\n')
  process.exitCode = pass && sameBody ? 0 : 1
} finally {
  cleanUp()
}
