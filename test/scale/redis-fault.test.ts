import { spawnSync } from 'node:child_process'
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { addUser, bearer, build, form, login, PASSWORD, tempDir } from '../helper.js'
import { freePort, waitFor } from './processes.js'
import { PrivateRedis } from './redis-server.js'

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
