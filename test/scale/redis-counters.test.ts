import { Redis } from 'ioredis'
import t, { type Test } from 'tap'
import { withFailMode } from '../../src/auth/fail-mode-counters.js'
import type { CounterStore } from '../../src/auth/login-throttle.js'
import { createRedisCounters } from '../../src/auth/redis-counters.js'
import { redisForTest } from './redis-prefix.js'

async function connect (t: Test) {
  const env = await redisForTest(t)
  if (env === undefined) return undefined
  const redis = new Redis(env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 })
  await redis.connect()
  t.teardown(() => { redis.disconnect() })
  return { redis, prefix: env.REDIS_KEY_PREFIX }
}

t.test('increment starts a window on the first count and keeps it', async t => {
  const env = await connect(t)
  if (env === undefined) return
  const counters = createRedisCounters(env.redis, env.prefix)
  t.equal(await counters.get('user:alice'), undefined)
  t.same(await counters.increment('user:alice', 60), { count: 1, ttlSeconds: 60 })
  t.equal((await counters.increment('user:alice', 9999)).count, 2)
  const ttl = await env.redis.pttl(`${env.prefix}login:user:alice`)
  t.ok(ttl > 0 && ttl <= 60_000, 'a later increment with another window does not extend the first one')
  t.same(await counters.get('user:alice'), { count: 2, ttlSeconds: 60 })
  await counters.reset('user:alice')
  t.equal(await counters.get('user:alice'), undefined)
  t.equal(await env.redis.exists(`${env.prefix}login:user:alice`), 0)
})

t.test('a counter that lost its expiry gets one again', async t => {
  const env = await connect(t)
  if (env === undefined) return
  await env.redis.set(`${env.prefix}login:user:bob`, '5')
  const counters = createRedisCounters(env.redis, env.prefix)
  t.same(await counters.increment('user:bob', 30), { count: 6, ttlSeconds: 30 })
})

t.test('200 concurrent increments from two clients lose nothing and number each one once', async t => {
  const env = await connect(t)
  if (env === undefined) return
  const other = env.redis.duplicate()
  t.teardown(() => { other.disconnect() })
  const a = createRedisCounters(env.redis, env.prefix)
  const b = createRedisCounters(other, env.prefix)
  const counts = await Promise.all(Array.from({ length: 200 }, async (_, i) => (await (i % 2 === 0 ? a : b).increment('ip:10.0.0.1', 60)).count))
  t.same([...counts].sort((x, y) => x - y), Array.from({ length: 200 }, (_, i) => i + 1))
})

t.test('fail modes: closed refuses with 503, open lets through uncounted', async t => {
  const broken: CounterStore = {
    increment: async () => { throw new Error("Stream isn't writeable and enableOfflineQueue options is false") },
    get: async () => { throw new Error('Command timed out') },
    reset: async () => { throw new Error('Connection is closed.') }
  }
  const failures: unknown[] = []
  const closed = withFailMode(broken, 'closed', err => failures.push(err))
  await t.rejects(closed.get('user:alice'), { code: 'temporarily_unavailable', statusCode: 503, headers: { 'retry-after': '5' } })
  await t.rejects(closed.increment('user:alice', 60), { code: 'temporarily_unavailable' })
  const open = withFailMode(broken, 'open', err => failures.push(err))
  t.equal(await open.get('user:alice'), undefined)
  t.same(await open.increment('user:alice', 60), { count: 0, ttlSeconds: 0 })
  await open.reset('user:alice')
  t.equal(failures.length, 5, 'every failure was reported for logging')
})

t.test('fail modes: an error that is not an outage is thrown in both modes, never swallowed', async t => {
  const buggy: CounterStore = {
    increment: async () => { throw new Error('ERR Error running script: attempt to compare nil with number') },
    get: async () => { throw new Error('WRONGTYPE Operation against a key holding the wrong kind of value') },
    reset: async () => {}
  }
  for (const mode of ['open', 'closed'] as const) {
    const failures: unknown[] = []
    const counters = withFailMode(buggy, mode, err => failures.push(err))
    await t.rejects(counters.increment('user:alice', 60), /Error running script/, `${mode}: a script error`)
    await t.rejects(counters.get('user:alice'), /WRONGTYPE/, `${mode}: a data error`)
    t.equal(failures.length, 0, `${mode}: not reported as an outage`)
  }
})
