// Enumeration check for POST /password-reset (issue 17): the answer's latency
// must not tell whether the account exists, is disabled, or has an email.
// Runs the compiled service (`npm run build` first) in production without
// SMTP_URL (mail is written to the outbox and kept there: the database work
// of a real request, no SMTP), sends the kinds one at a time, interleaved in a
// shuffled order each round, and requires one body for all and, within each
// form of the request (email, username), every median within 10 % of every
// other (largest / smallest). The form is compared within itself, as the login
// bench compares within a status: the caller chooses it, so it tells nothing of
// the account (an email is checked by one more schema format, which costs a little).
// Prints a table and writes bench/reset-enumeration.json.
// Usage: node bench/reset-enumeration.mjs [--samples N] [--warmup N]
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { freePort, killAllNow, startNode, stopAll, waitForOk } from './lib/processes.mjs'
import { median } from './lib/stats.mjs'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const SERVER = join(ROOT, 'dist', 'gatehouse.mjs')
const PASSWORD = 'Sturdy-Lamp-Orbit-42'
const TOLERANCE = 0.10

const { values } = parseArgs({ options: { samples: { type: 'string', default: '1500' }, warmup: { type: 'string', default: '50' } } })
const samples = Number(values.samples)
const warmup = Number(values.warmup)
if (!existsSync(SERVER)) throw new Error('dist/gatehouse.mjs is missing: run `npm run build` first')

const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-reset-enumeration-'))
function cleanUp () {
  killAllNow()
  rmSync(dataDir, { recursive: true, force: true })
}
process.on('SIGINT', () => { cleanUp(); process.exit(130) })
process.on('SIGTERM', () => { cleanUp(); process.exit(143) })

const env = {
  PATH: process.env.PATH,
  NODE_ENV: 'production',
  JWT_SECRET: 'reset-enumeration-bench-Zq3vN8xW1pLk5TgR7yHc2MdF9sJb4Ae6',
  DATA_DIR: dataDir,
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  // One client sends everything: the general and the reset limits would turn every kind into a 429.
  RATE_LIMIT_MAX: '0',
  PASSWORD_RESET_MAX_PER_ADDRESS: '1000',
  PASSWORD_RESET_MAX_PER_IP: '1000000'
}

/** Each kind's requests go round a pool of accounts, so no one account collects every token. */
const POOL = 20
const pool = prefix => Array.from({ length: POOL }, (_, i) => `${prefix}${i}`)
const pools = { member: pool('member'), former: pool('former'), nomail: pool('nomail') }

async function seedUsers () {
  const { loadConfig } = await import(join(ROOT, 'dist/src/config.js'))
  const { openStore } = await import(join(ROOT, 'dist/src/store/store.js'))
  const { createPasswordHasher } = await import(join(ROOT, 'dist/src/passwords/password-hasher.js'))
  const config = loadConfig(env)
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 1 })
  const hasher = await createPasswordHasher({ cost: 4, concurrency: 2, queueMax: 100, queueTimeoutMs: 60_000 })
  const passwordHash = await hasher.hash(PASSWORD, 'bench')
  const add = async (username, email, disabled) => await store.users.create({ username, email, fullName: null, passwordHash, disabled, scopes: [] })
  for (const username of pools.member) await add(username, `${username}@example.com`, false)
  for (const username of pools.former) await add(username, `${username}@example.com`, true)
  for (const username of pools.nomail) await add(username, null, false)
  // Other accounts, so that the lookups search a table of some size.
  for (let i = 0; i < 2000; i++) await add(`filler${i}`, `filler${i}@example.com`, false)
  await store.close()
}

async function ask (baseUrl, payload) {
  const started = performance.now()
  const res = await fetch(`${baseUrl}/password-reset`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) })
  const body = await res.text()
  return { ms: performance.now() - started, status: res.status, body }
}

const shuffle = items => {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]]
  }
  return items
}

try {
  await seedUsers()
  const port = await freePort()
  const baseUrl = `http://127.0.0.1:${port}`
  const server = startNode('gatehouse', [SERVER], { ...env, PORT: String(port) }, { cwd: dataDir })
  await waitForOk(server, `${baseUrl}/health/ready`, 30_000)

  let n = 0
  const next = name => pools[name][n++ % POOL]
  const kinds = {
    existing_email: () => ask(baseUrl, { email: `${next('member')}@example.com` }),
    existing_username: () => ask(baseUrl, { username: next('member') }),
    unknown_email: () => ask(baseUrl, { email: `nobody${n++}@example.com` }),
    unknown_username: () => ask(baseUrl, { username: `nobody${n++}` }),
    disabled: () => ask(baseUrl, { email: `${next('former')}@example.com` }),
    no_email: () => ask(baseUrl, { username: next('nomail') })
  }
  const labels = {
    existing_email: 'existing user, by email',
    existing_username: 'existing user, by username',
    unknown_email: 'unknown email',
    unknown_username: 'unknown username',
    disabled: 'disabled user, by email',
    no_email: 'user without email'
  }
  const times = Object.fromEntries(Object.keys(kinds).map(kind => [kind, []]))
  const bodies = new Set()
  for (let round = 0; round < warmup + samples; round++) {
    for (const kind of shuffle(Object.keys(kinds))) {
      const result = await kinds[kind]()
      if (result.status !== 202) throw new Error(`${kind}: expected 202, got ${result.status} ${result.body}`)
      if (round >= warmup) {
        times[kind].push(result.ms)
        bodies.add(result.body)
      }
    }
  }

  const medians = Object.fromEntries(Object.entries(times).map(([kind, list]) => [kind, median(list)]))
  const spreadOf = group => Math.max(...group.map(kind => medians[kind])) / Math.min(...group.map(kind => medians[kind]))
  const groups = { email: ['existing_email', 'unknown_email', 'disabled'], username: ['existing_username', 'unknown_username', 'no_email'] }
  const largestOverSmallest = { email: spreadOf(groups.email), username: spreadOf(groups.username), all: spreadOf(Object.keys(kinds)) }
  const sameBody = bodies.size === 1
  const pass = largestOverSmallest.email - 1 <= TOLERANCE && largestOverSmallest.username - 1 <= TOLERANCE && sameBody

  console.log(`\nPOST /password-reset latency by kind of account (load average ${loadavg().map(l => l.toFixed(2)).join(' ')}; ${samples} samples each after ${warmup} warm-up rounds, interleaved)\n`)
  console.log('kind                          median ms   p10 ms   p90 ms   ÷ first')
  for (const kind of Object.keys(times)) {
    const sorted = [...times[kind]].sort((a, b) => a - b)
    const pct = p => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]
    console.log(`${labels[kind].padEnd(29)} ${medians[kind].toFixed(3).padStart(9)} ${pct(0.1).toFixed(3).padStart(8)} ${pct(0.9).toFixed(3).padStart(8)} ${(medians[kind] / medians.existing_email).toFixed(3).padStart(9)}`)
  }
  for (const group of ['email', 'username']) {
    console.log(`\nby ${group}: largest median ÷ smallest median: ${largestOverSmallest[group].toFixed(3)} (budget 1 + ${TOLERANCE})`)
  }
  console.log(`all six kinds (the form included): ${largestOverSmallest.all.toFixed(3)}`)
  console.log(`every answer the same body: ${sameBody ? 'yes' : 'NO'} (${[...bodies].join(' | ')})`)
  console.log(`${pass ? 'PASS' : 'FAIL'}: every median within ${TOLERANCE * 100} % of every other of its form\n`)

  writeFileSync(join(ROOT, 'bench', 'reset-enumeration.json'), JSON.stringify({
    date: new Date().toISOString(),
    node: process.version,
    loadAverage: loadavg(),
    samples,
    warmup,
    medianMs: medians,
    groups,
    largestOverSmallest,
    tolerance: TOLERANCE,
    sameBody,
    pass
  }, null, 2) + '\n')
  process.exitCode = pass ? 0 : 1
} finally {
  await stopAll()
  cleanUp()
}
