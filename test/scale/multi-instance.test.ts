import { existsSync } from 'node:fs'
import t from 'tap'
import { LoginThrottle } from '../../src/auth/login-throttle.js'
import { createMemoryCounters } from '../../src/auth/memory-counters.js'
import { createPasswordHasher } from '../../src/passwords/password-hasher.js'
import { openStore } from '../../src/store/store.js'
import { createUserService } from '../../src/users/user-service.js'
import { PASSWORD, TEST_SECRET, tempDir } from '../helper.js'
import { postgresSchema } from '../src/store/postgres-schema.js'
import { freePort, ROOT, SERVER, spawnChild, waitFor } from '../child-process.js'
import { redisForTest } from './redis-prefix.js'

interface Instance { name: string, url: string, output: () => string }

async function post (instance: Instance, path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(instance.url + path, { method: 'POST', body: new URLSearchParams(fields), headers, signal: AbortSignal.timeout(10_000) })
  return { status: res.status, body: await res.json().catch(() => null) as Record<string, string> | null }
}

async function me (instance: Instance, accessToken: string): Promise<number> {
  const res = await fetch(instance.url + '/users/me', { headers: { authorization: `Bearer ${accessToken}` }, signal: AbortSignal.timeout(10_000) })
  return res.status
}

const password = (username: string, pass = PASSWORD) => ({ grant_type: 'password', username, password: pass })
const refreshing = (token: string) => ({ grant_type: 'refresh_token', refresh_token: token })

t.test('two service processes on one PostgreSQL and one Redis behave as one service', async t => {
  if (!existsSync(SERVER)) { t.fail(`${SERVER} is missing: run npm run build first`); return }
  const pg = await postgresSchema(t)
  const redis = await redisForTest(t)
  if (pg === undefined || redis === undefined) return

  const shared = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    // Both instances must issue the same `iss`: behind a load balancer they share one public URL.
    PUBLIC_URL: 'http://gatehouse.test',
    JWT_SECRET: TEST_SECRET,
    DATABASE_URL: pg.url,
    ...redis,
    BCRYPT_COST: '10',
    LOGIN_MAX_FAILURES_PER_USER: '4',
    LOG_LEVEL: 'warn'
  }
  // Started together on a fresh schema: both run the migrations at once.
  const instances: Instance[] = await Promise.all(['A', 'B'].map(async name => {
    const port = await freePort()
    const { output } = spawnChild(t, process.execPath, [SERVER], { cwd: ROOT, env: { ...shared, PORT: String(port), DATA_DIR: tempDir(t) } })
    return { name, url: `http://127.0.0.1:${port}`, output }
  }))
  for (const instance of instances) {
    await waitFor(`instance ${instance.name} to be ready:\n${instance.output()}`, async () =>
      (await fetch(instance.url + '/health/ready', { signal: AbortSignal.timeout(2000) })).status === 200, 150, 200)
  }
  const [a, b] = instances as [Instance, Instance]

  const store = await openStore({ databaseUrl: pg.url, dataDir: tempDir(t), poolSize: 1 })
  t.teardown(store.close)
  const hasher = await createPasswordHasher({ cost: 10, concurrency: 1, queueMax: 10, queueTimeoutMs: 30_000 })
  const throttle = new LoginThrottle(createMemoryCounters(), { maxFailuresPerUser: 10, maxFailuresPerIp: 100, windowSeconds: 60, maxLockoutSeconds: 60 })
  await createUserService({ store, hasher, throttle }).register({ username: 'alice', password: PASSWORD })

  t.test('a token issued by A is accepted by B', async t => {
    const login = await post(a, '/token', password('alice'))
    t.equal(login.status, 200)
    t.equal(await me(b, login.body?.access_token ?? ''), 200)
  })

  t.test('a refresh rotated at A: the old token fails at B, which revokes the session', async t => {
    const login = await post(a, '/token', password('alice'))
    const first = login.body as Record<string, string>
    const rotated = await post(a, '/token', refreshing(first.refresh_token ?? ''))
    t.equal(rotated.status, 200)
    const second = rotated.body as Record<string, string>

    const reuse = await post(b, '/token', refreshing(first.refresh_token ?? ''))
    t.equal(reuse.status, 400)
    t.equal(reuse.body?.error, 'invalid_grant')
    t.match(reuse.body?.error_description, /already used/)
    t.equal((await post(a, '/token', refreshing(second.refresh_token ?? ''))).status, 400, 'the new refresh token from A is dead too')
    t.equal(await me(a, second.access_token ?? ''), 401, 'and so are its access tokens, at A')
  })

  t.test('logout at B kills the access token at A on the next request', async t => {
    const login = await post(a, '/token', password('alice'))
    const token = login.body?.access_token ?? ''
    t.equal(await me(a, token), 200)
    const logout = await fetch(b.url + '/logout', { method: 'POST', headers: { authorization: `Bearer ${token}` } })
    t.equal(logout.status, 204)
    t.equal(await me(a, token), 401)
  })

  t.test('failed logins spread across A and B hit one shared limit', async t => {
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) statuses.push((await post(i % 2 === 0 ? a : b, '/token', password('mallory', 'wrong'))).status)
    t.same(statuses, [401, 401, 401, 401, 429])
    const locked = await post(b, '/token', password('mallory', 'wrong'))
    t.equal(locked.status, 429)
    t.equal(locked.body?.error, 'too_many_requests')
  })
})
