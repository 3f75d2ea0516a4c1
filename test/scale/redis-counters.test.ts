import { Redis } from 'ioredis'
import t, { type Test } from 'tap'
import { withFailMode } from '../../src/auth/fail-mode-counters.js'
import { LoginThrottle, type AttemptCounters } from '../../src/auth/login-throttle.js'
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

const LIMITS = { maxFailuresPerUser: 3, maxFailuresPerIp: 100, windowSeconds: 60, maxLockoutSeconds: 600 }

t.test('one hash per subject: the window starts with the first attempt, expires with it, and holds one count', async t => {
  const env = await connect(t)
  if (env === undefined) return
  const throttle = new LoginThrottle(createRedisCounters(env.redis, env.prefix), LIMITS)
  const key = `${env.prefix}throttle:user:alice`
  await (await throttle.begin('alice', '10.0.0.1')).failed()
  await (await throttle.begin('alice', '10.0.0.1')).failed()
  t.match(await env.redis.hgetall(key), { n: '2', f: '2', lv: '0', g: '0' }, 'one counter for the user, no second key')
  const ttl = await env.redis.pttl(key)
  t.ok(ttl > 58_000 && ttl <= 60_000, `the key expires with the window (${ttl} ms)`)
  t.same((await env.redis.keys(`${env.prefix}*`)).sort(), [`${env.prefix}throttle:ip:10.0.0.1`, key])
  await (await throttle.begin('alice', '10.0.0.1')).failed()
  t.match(await env.redis.hgetall(key), { n: '3', f: '3', lv: '1' }, 'the third failure started a lockout')
  t.ok(await env.redis.pttl(key) > 86_400_000, 'the escalation level outlives the window')
  await (await throttle.begin('bob', '10.0.0.1')).succeeded()
  t.match(await env.redis.hgetall(`${env.prefix}throttle:ip:10.0.0.1`), { n: '3', f: '3' }, 'a success gave its IP reservation back')
  t.equal(await env.redis.exists(`${env.prefix}throttle:user:bob`), 0, 'and left no key for bob')
})

t.test('a failed login costs two round trips (reserve, fail), a success two', async t => {
  const env = await connect(t)
  if (env === undefined) return
  const throttle = new LoginThrottle(createRedisCounters(env.redis, env.prefix), LIMITS)
  await (await throttle.begin('warm', '10.0.0.9')).failed() // loads the scripts (EVALSHA falls back to EVAL once)
  let commands = 0
  const send = env.redis.sendCommand.bind(env.redis)
  env.redis.sendCommand = ((...args: Parameters<typeof send>) => { commands++; return send(...args) }) as typeof send
  await (await throttle.begin('alice', '10.0.0.1')).failed()
  t.equal(commands, 2, 'a failure')
  commands = 0
  await (await throttle.begin('alice', '10.0.0.1')).succeeded()
  t.equal(commands, 2, 'a success')
  commands = 0
  const refused = await new LoginThrottle(createRedisCounters(env.redis, env.prefix), { ...LIMITS, maxFailuresPerIp: 1 }).begin('carol', '10.0.0.1')
  t.equal(refused.refused?.reason, 'ip')
  t.equal(commands, 1, 'a refusal')
})

t.test('a key left over without an expiry is treated by its window end, not kept forever', async t => {
  const env = await connect(t)
  if (env === undefined) return
  const key = `${env.prefix}throttle:user:bob`
  await env.redis.hset(key, { n: 5, f: 5, end: 1, lv: 0, lvend: 0, g: 0 })
  const throttle = new LoginThrottle(createRedisCounters(env.redis, env.prefix), LIMITS)
  t.equal((await throttle.begin('bob', '10.0.0.1')).refused, undefined, 'its window has ended')
  const ttl = await env.redis.pttl(key)
  t.ok(ttl > 0 && ttl <= 60_000, 'and it has an expiry again')
})

t.test('fail modes: closed refuses with 503, open lets through uncounted', async t => {
  const broken: AttemptCounters = {
    reserve: async () => { throw new Error("Stream isn't writeable and enableOfflineQueue options is false") },
    fail: async () => { throw new Error('Command timed out') },
    release: async () => { throw new Error('Connection is closed.') }
  }
  const subjects = [{ key: 'user:alice', max: 3, generation: 0 }]
  const policy = { windowMs: 60_000, maxWindowMs: 60_000, levelTtlMs: 60_000 }
  const failures: unknown[] = []
  const closed = withFailMode(broken, 'closed', err => failures.push(err))
  await t.rejects(closed.reserve(subjects, policy), { code: 'temporarily_unavailable', statusCode: 503, headers: { 'retry-after': '5' } })
  await t.rejects(closed.fail(subjects, policy), { code: 'temporarily_unavailable' })
  const open = withFailMode(broken, 'open', err => failures.push(err))
  t.same(await open.reserve(subjects, policy), { ok: true })
  t.same(await open.fail(subjects, policy), [false])
  await open.release([{ key: 'user:alice', clear: false }])
  t.equal(failures.length, 5, 'every failure was reported for logging')
})

t.test('fail modes: an error that is not an outage is thrown in both modes, never swallowed', async t => {
  const buggy: AttemptCounters = {
    reserve: async () => { throw new Error('ERR Error running script: attempt to compare nil with number') },
    fail: async () => { throw new Error('WRONGTYPE Operation against a key holding the wrong kind of value') },
    release: async () => {}
  }
  const subjects = [{ key: 'user:alice', max: 3, generation: 0 }]
  const policy = { windowMs: 60_000, maxWindowMs: 60_000, levelTtlMs: 60_000 }
  for (const mode of ['open', 'closed'] as const) {
    const failures: unknown[] = []
    const counters = withFailMode(buggy, mode, err => failures.push(err))
    await t.rejects(counters.reserve(subjects, policy), /Error running script/, `${mode}: a script error`)
    await t.rejects(counters.fail(subjects, policy), /WRONGTYPE/, `${mode}: a data error`)
    t.equal(failures.length, 0, `${mode}: not reported as an outage`)
  }
})
