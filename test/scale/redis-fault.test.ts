import { spawnSync } from 'node:child_process'
import { Redis } from 'ioredis'
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { addUser, bearer, build, form, login, PASSWORD, tempDir } from '../helper.js'
import { formBody, jsonBody, request } from '../faults/http-client.js'
import { Traffic, type Outcome } from '../faults/traffic.js'
import { freePort, serviceEnv, startService, waitFor } from '../child-process.js'
import { PrivateRedis } from './redis-server.js'

// Two tests run the real process on a shared 2-core machine: allow more than the default per-file budget.
t.setTimeout(240_000)

const LIMITS = { LOGIN_MAX_FAILURES_PER_USER: '3', LOGIN_FAILURE_WINDOW_SECONDS: '60', RATE_LIMIT_MAX: '1000' }

function haveRedisServer (t: Test): boolean {
  if (spawnSync('redis-server', ['--version']).status === 0) return true
  if (process.env.GATEHOUSE_REQUIRE_SERVICES === '1') t.fail('redis-server is not installed')
  else t.comment('redis-server is not installed: skipped')
  return false
}

async function attempt (app: FastifyInstance, username: string, password: string) {
  return await app.inject({ method: 'POST', url: '/token', ...form({ username, password }) })
}

/** A fresh app on a private Redis, with one user logged in while Redis is up. */
async function setUp (t: Test, mode: 'open' | 'closed') {
  const redis = new PrivateRedis(t, await freePort(), tempDir(t, 'gatehouse-redis-'))
  await redis.start()
  const app = await build(t, { ...LIMITS, REDIS_URL: redis.url, REDIS_FAIL_MODE: mode })
  await addUser(app, 'alice')
  const tokens = await login(app, 'alice')
  await redis.stop()
  return { app, redis, tokens }
}

/** Once Redis is back, logins are counted and limited again, with no restart of the app. */
async function assertRecovered (t: Test, app: FastifyInstance, redis: PrivateRedis): Promise<void> {
  await redis.start()
  // Wait for the app's own client to reconnect (in open mode a login succeeds either way).
  await waitFor('the app to reach Redis again', async () => await app.redis?.ping() === 'PONG', 100, 200)
  t.equal((await attempt(app, 'alice', PASSWORD)).statusCode, 200, 'logins work')
  for (let i = 0; i < 3; i++) t.equal((await attempt(app, 'bob', 'wrong')).statusCode, 401)
  t.equal((await attempt(app, 'bob', 'wrong')).statusCode, 429, 'failures are counted in Redis again')
}

t.test('REDIS_FAIL_MODE=closed: logins answer 503 while Redis is down, Bearer calls keep working, then recover', async t => {
  if (!haveRedisServer(t)) return
  const { app, redis, tokens } = await setUp(t, 'closed')

  for (const password of [PASSWORD, 'wrong']) {
    const res = await attempt(app, 'alice', password)
    t.equal(res.statusCode, 503, `password grant (${password === PASSWORD ? 'right' : 'wrong'} password) fails closed`)
    t.equal(res.json().error, 'temporarily_unavailable')
    t.ok(Number(res.headers['retry-after']) >= 1, 'with Retry-After')
    t.same(Object.keys(res.json()).sort(), ['error', 'error_description'])
  }
  const me = await app.inject({ method: 'GET', url: '/users/me', headers: bearer(tokens.access_token) })
  t.equal(me.statusCode, 200, 'the general rate limit is skipped: Bearer calls do not depend on Redis')
  t.equal((await app.inject({ method: 'GET', url: '/health/live' })).statusCode, 200, 'liveness is not rate limited')

  await assertRecovered(t, app, redis)
  t.equal((await app.inject({ method: 'GET', url: '/users/me', headers: bearer(tokens.access_token) })).statusCode, 200)
})

t.test('REDIS_FAIL_MODE=open: logins proceed uncounted while Redis is down, then counting resumes', async t => {
  if (!haveRedisServer(t)) return
  const { app, redis, tokens } = await setUp(t, 'open')

  for (let i = 0; i < 6; i++) t.equal((await attempt(app, 'alice', 'wrong')).statusCode, 401, `failure ${i + 1}: 401, not counted`)
  t.equal((await attempt(app, 'alice', PASSWORD)).statusCode, 200, 'the right password still logs in')
  t.equal((await app.inject({ method: 'GET', url: '/users/me', headers: bearer(tokens.access_token) })).statusCode, 200,
    'the general rate limit is skipped')

  await assertRecovered(t, app, redis)
})

t.test('REDIS_FAIL_MODE=closed: a hung Redis gives a 503 after the command timeout, not a hanging request', async t => {
  if (!haveRedisServer(t)) return
  const redis = new PrivateRedis(t, await freePort(), tempDir(t, 'gatehouse-redis-'))
  await redis.start()
  const app = await build(t, { ...LIMITS, REDIS_URL: redis.url, REDIS_FAIL_MODE: 'closed' })
  await addUser(app, 'alice')
  redis.pause()
  t.teardown(() => { redis.resume() })
  // A bound, not a speed check: only a request that hangs for 10 s fails here.
  const hung = new Promise<never>((_resolve, reject) => { setTimeout(() => { reject(new Error('the request hung')) }, 10_000).unref() })
  const res = await Promise.race([attempt(app, 'alice', PASSWORD), hung])
  t.equal(res.statusCode, 503)
  t.equal(res.json().error, 'temporarily_unavailable')
  redis.resume()
  await waitFor('Redis to answer again', async () => await app.redis?.ping() === 'PONG', 100, 200)
  t.equal((await attempt(app, 'alice', PASSWORD)).statusCode, 200)
})

/**
 * Redis that answers but refuses writes: after a failover the client is still
 * connected to the old primary, now a read-only replica (READONLY), or Redis
 * is out of memory under `noeviction` (OOM). That is an outage of the
 * counters like an unreachable Redis, not a bug: REDIS_FAIL_MODE applies.
 */
const REFUSALS = {
  'a read-only replica': {
    refuse: async (admin: Redis) => { await admin.call('REPLICAOF', '127.0.0.1', String(await freePort())) },
    restore: async (admin: Redis) => { await admin.call('REPLICAOF', 'NO', 'ONE') }
  },
  'out of memory (maxmemory, noeviction)': {
    refuse: async (admin: Redis) => { await admin.config('SET', 'maxmemory-policy', 'noeviction'); await admin.config('SET', 'maxmemory', '1') },
    restore: async (admin: Redis) => { await admin.config('SET', 'maxmemory', '0') }
  }
}

for (const [fault, { refuse, restore }] of Object.entries(REFUSALS)) {
  for (const mode of ['closed', 'open'] as const) {
    t.test(`REDIS_FAIL_MODE=${mode}, Redis ${fault}: logins ${mode === 'closed' ? 'answer 503' : 'proceed uncounted'}, the general rate limit is skipped, then recovery`, async t => {
      if (!haveRedisServer(t)) return
      const redis = new PrivateRedis(t, await freePort(), tempDir(t, 'gatehouse-redis-'))
      await redis.start()
      const admin = new Redis(redis.url)
      t.teardown(() => { admin.disconnect() })
      const app = await build(t, { ...LIMITS, RATE_LIMIT_MAX: '1000', REDIS_URL: redis.url, REDIS_FAIL_MODE: mode })
      await addUser(app, 'alice')
      const tokens = await login(app, 'alice')
      await refuse(admin)

      const right = await attempt(app, 'alice', PASSWORD)
      if (mode === 'closed') {
        t.equal(right.statusCode, 503, `right password: 503 ${right.statusCode === 503 ? '' : right.body}`)
        t.equal(right.json().error, 'temporarily_unavailable')
        t.ok(Number(right.headers['retry-after']) >= 1, 'with Retry-After')
      } else {
        t.equal(right.statusCode, 200, `right password: logs in ${right.statusCode === 200 ? '' : right.body}`)
        for (let i = 0; i < 4; i++) t.equal((await attempt(app, 'bob', 'wrong')).statusCode, 401, `failure ${i + 1}: 401, not counted`)
      }
      const me = await app.inject({ method: 'GET', url: '/users/me', headers: bearer(tokens.access_token) })
      t.equal(me.statusCode, 200, 'Bearer calls keep working (the general rate limit is skipped)')

      await restore(admin)
      // The app's own client writes again (it may first reconnect after a READONLY reply).
      await waitFor('Redis to take writes again', async () => await app.redis?.incr('gatehouse-test:probe') !== undefined, 50, 100)
      t.equal((await attempt(app, 'alice', PASSWORD)).statusCode, 200, 'logins work')
      for (let i = 0; i < 3; i++) t.equal((await attempt(app, 'carol', 'wrong')).statusCode, 401)
      t.equal((await attempt(app, 'carol', 'wrong')).statusCode, 429, 'failures are counted in Redis again')
    })
  }
}

/**
 * The real process (dist/gatehouse.mjs) with the general rate limit on (its
 * counts in Redis too) and logins in flight from concurrent clients, while
 * the private Redis is killed (SIGKILL) and, in a second round, hung (SIGSTOP).
 */
for (const mode of ['closed', 'open'] as const) {
  t.test(`REDIS_FAIL_MODE=${mode}: Redis killed or hung under concurrent logins: the process stays up, ${mode === 'closed' ? 'logins 503' : 'logins proceed'}, then recovery`, async t => {
    if (!haveRedisServer(t)) return
    const redis = new PrivateRedis(t, await freePort(), tempDir(t, 'gatehouse-redis-'))
    await redis.start()
    t.teardown(() => { redis.resume() })
    const service = await startService(t, serviceEnv(tempDir(t), await freePort(), {
      ...LIMITS,
      RATE_LIMIT_MAX: '100000',
      REDIS_URL: redis.url,
      REDIS_FAIL_MODE: mode,
      SIGNUP_ENABLED: 'true',
      HASH_QUEUE_TIMEOUT_MS: '60000',
      // Every client here is one IP: its share of the hashing queue must be the whole queue.
      HASH_QUEUE_MAX_PER_IP: '64'
    }))
    const alive = () => service.child.exitCode === null && service.child.signalCode === null
    const usernames = ['user0', 'user1', 'user2', 'user3', 'user4', 'user5']
    for (const username of usernames) {
      t.equal((await request(`${service.baseUrl}/users`, { method: 'POST', ...jsonBody({ username, password: PASSWORD }) })).status, 201, `${username} registered`)
    }
    const traffic = new Traffic(service.baseUrl, PASSWORD, ['login', 'me'])
    await traffic.start(usernames)
    t.teardown(async () => { await traffic.stop() })
    const served = (o: Outcome) => o.status === 200
    const answered = (o: Outcome) => o.status !== undefined || o.error !== undefined

    for (const [round, fault] of [[1, 'SIGKILL'], [2, 'SIGSTOP']] as const) {
      t.ok(await traffic.waitForEach(traffic.phase, 2, served, usernames.length), `round ${round}: every client is served while Redis is up`)
      traffic.phase = `stopping ${round}`
      if (fault === 'SIGKILL') await redis.stop()
      else redis.pause()
      traffic.phase = `down ${round}`
      t.ok(await traffic.waitForEach(traffic.phase, 1, answered, usernames.length), `round ${round} (${fault}): every client is answered while Redis is gone`)
      if (!alive()) {
        t.fail(`round ${round} (${fault}): the process exited (${String(await service.exited)}):\n${service.output().slice(-3000)}`)
        return
      }
      const logins = traffic.of(traffic.phase).filter(o => o.kind === 'login' && answered(o))
      const expected = mode === 'closed' ? 503 : 200
      t.same(logins.filter(o => o.status !== expected).map(o => `${o.status ?? o.error} ${o.response?.body ?? ''}`), [],
        `round ${round} (${fault}): all ${logins.length} logins sent while Redis is gone answer ${expected}`)
      t.ok(traffic.of(traffic.phase).some(o => o.kind === 'me' && o.status === 200), `round ${round} (${fault}): Bearer calls keep working`)
      t.equal((await request(`${service.baseUrl}/health/live`)).status, 200, `round ${round} (${fault}): /health/live 200`)

      traffic.phase = `starting ${round}`
      if (fault === 'SIGKILL') await redis.start()
      else redis.resume()
      traffic.phase = `up ${round + 1}`
      const back = Date.now()
      const loggedIn = (o: Outcome) => o.kind === 'login' && o.status === 200
      t.ok(await traffic.waitForEach(traffic.phase, 1, loggedIn, usernames.length), `round ${round} (${fault}): every client logs in again once Redis is back`)
      t.comment(`round ${round} (${fault}): every client logged in again ${Date.now() - back} ms after Redis was back`)
    }
    await traffic.stop()
    t.ok(alive(), 'the process never exited')
    t.same(traffic.unexpected(), [], `all ${traffic.outcomes.length} requests got 200 or the outage 503, none a 500 or a dropped connection`)
    await waitFor('failures to be counted in Redis again', async () =>
      (await request(`${service.baseUrl}/token`, { method: 'POST', ...formBody({ username: 'user0', password: 'wrong' }) })).status === 429, 20, 100)
    t.pass('failed logins are counted and limited in Redis again')
  })
}
