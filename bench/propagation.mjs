// How long a logout at one instance takes to reach another instance's session
// cache (POSTGRES_SESSION_CACHE=true): two services on one PostgreSQL schema;
// for each sample, a token is served (so cached) at B, logged out at A, and B
// is polled back to back until it refuses it. Prints p50/p90/p99/max of the
// time from A's 204 to B's first 401 (the poll's own round trip included).
//
//   npm run bench:propagation [-- --samples 300] [-- --postgres postgres://postgres@127.0.0.1:5432/test]
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { seedPostgres, urlWithSchema, withClient } from './lib/postgres-seed.mjs'
import { stopAll } from './lib/processes.mjs'
import { round, table } from './lib/stats.mjs'
import { mintTokens, passwordHashAtCost } from './lib/store-seed.mjs'
import { serviceEnvironment, startGatehouse } from './lib/targets.mjs'

const { values: args } = parseArgs({
  options: {
    samples: { type: 'string', default: '300' },
    postgres: { type: 'string', default: process.env.DATABASE_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
    'node-flags': { type: 'string' }
  }
})
const SAMPLES = Number(args.samples)
const PROBES = 20
const schema = `bench_${randomBytes(4).toString('hex')}`
const dirs = []
const tempDir = () => { const d = mkdtempSync(join(tmpdir(), 'gh-bench-prop-')); dirs.push(d); return d }

const me = async (instance, token) => {
  const res = await fetch(`${instance.url}/users/me`, { headers: { authorization: `Bearer ${token}` } })
  await res.arrayBuffer()
  return res.status
}

/**
 * Is `instance` serving from its cache yet? (It starts strict, until its LISTEN
 * is in place.) A probe session is served once, then revoked with the triggers
 * off (session_replication_role = replica: no notification): a cached instance
 * still accepts it, a strict one refuses. The probe is put back either way.
 */
async function caching (instance, probe) {
  if (await me(instance, probe.token) !== 200) return false
  const set = async (revokedAt) => {
    await withClient(urlWithSchema(args.postgres, schema), async client => {
      await client.query('set session_replication_role = replica')
      await client.query('update sessions set revoked_at = $1 where id = $2', [revokedAt, probe.sessionId])
    })
  }
  await set(1)
  const status = await me(instance, probe.token)
  await set(null)
  return status === 200
}

function percentile (sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)]
}

try {
  await withClient(args.postgres, client => client.query(`create schema ${schema}`))
  const env = serviceEnvironment({ DATABASE_URL: urlWithSchema(args.postgres, schema), POSTGRES_SESSION_CACHE: 'true' })
  const a = await startGatehouse({ name: 'A', env, dataDir: tempDir() }) // migrates
  const b = await startGatehouse({ name: 'B', env, dataDir: tempDir() })
  const { sessions } = await seedPostgres({ url: args.postgres, schema, userCount: SAMPLES + PROBES, passwordHash: await passwordHashAtCost(10) })
  const tokens = await mintTokens(env, sessions)
  // Each instance caches a probe only while it listens (a probe is used once per instance: a cached one stays cached).
  let nextProbe = SAMPLES
  const probe = () => { const i = nextProbe++; if (i >= tokens.length) throw new Error('the instances never listened'); return { token: tokens[i], sessionId: sessions[i].sessionId } }
  for (const instance of [a, b]) while (!await caching(instance, probe())) await sleep(200)

  const fromAnswer = []
  let accepted = 0
  for (let i = 0; i < SAMPLES; i++) {
    const token = tokens[i]
    if (await me(b, token) !== 200 || await me(b, token) !== 200) throw new Error('B refused a live token')
    const logout = await fetch(`${a.url}/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })
    await logout.arrayBuffer()
    if (logout.status !== 204) throw new Error(`logout at A: ${logout.status}`)
    const answered = performance.now()
    for (;;) {
      const status = await me(b, token)
      if (status === 401) break
      if (status !== 200) throw new Error(`B answered ${status}`)
      accepted++
    }
    fromAnswer.push(performance.now() - answered)
    await sleep(2)
  }
  const sorted = fromAnswer.sort((x, y) => x - y)
  console.log(`logout at A (204) → first 401 at B, ${SAMPLES} samples, B polled back to back (loopback, POSTGRES_SESSION_CACHE=true)`)
  console.log(table(['p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'requests B still accepted'],
    [[round(percentile(sorted, 50), 2), round(percentile(sorted, 90), 2), round(percentile(sorted, 99), 2), round(sorted[sorted.length - 1], 2), accepted]]))
} finally {
  await stopAll()
  await withClient(args.postgres, client => client.query(`drop schema if exists ${schema} cascade`)).catch(() => {})
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
}
