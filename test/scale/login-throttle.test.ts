import { Redis } from 'ioredis'
import t, { type Test } from 'tap'
import { LoginThrottle, type AttemptCounters, type ThrottleLimits } from '../../src/auth/login-throttle.js'
import { createMemoryCounters } from '../../src/auth/memory-counters.js'
import { createRedisCounters } from '../../src/auth/redis-counters.js'
import { redisForTest } from './redis-prefix.js'

const LIMITS: ThrottleLimits = { maxFailuresPerUser: 3, maxFailuresPerIp: 10, windowSeconds: 60, maxLockoutSeconds: 600 }

/** The same throttle over in-process counters and over Redis (two connections, as two instances would have). */
function eachStore (name: string, fn: (t: Test, counters: () => AttemptCounters) => Promise<void>): void {
  t.test(`${name} [memory]`, async t => {
    const counters = createMemoryCounters()
    await fn(t, () => counters)
  })
  t.test(`${name} [redis]`, async t => {
    const env = await redisForTest(t)
    if (env === undefined) return
    const connections = [0, 1].map(() => new Redis(env.REDIS_URL, { maxRetriesPerRequest: 1 }))
    t.teardown(() => { for (const c of connections) c.disconnect() })
    let next = 0
    await fn(t, () => createRedisCounters(connections[next++ % 2] as Redis, env.REDIS_KEY_PREFIX))
  })
}

eachStore('200 parallel attempts over distinct usernames from one IP: the IP limit is reserved atomically', async (t, counters) => {
  const throttles = [new LoginThrottle(counters(), LIMITS), new LoginThrottle(counters(), LIMITS)]
  const attempts = await Promise.all(Array.from({ length: 200 }, async (_, i) => await throttles[i % 2]!.begin(`user${i}`, '10.0.0.1')))
  t.equal(attempts.filter(a => a.refused === undefined).length, 10, 'exactly the IP limit may check a password')
  t.ok(attempts.every(a => a.refused === undefined || (a.refused.reason === 'ip' && a.refused.retryAfterSeconds >= 1)))
  const lockouts = await Promise.all(attempts.map(async a => await a.failed()))
  t.same(lockouts.filter(l => l.length > 0), [['ip']], 'the tenth failure started one IP lockout')
})

eachStore('N parallel attempts for one user: exactly the user limit, from any mix of IPs', async (t, counters) => {
  const throttle = new LoginThrottle(counters(), LIMITS)
  const attempts = await Promise.all(Array.from({ length: 40 }, async (_, i) => await throttle.begin('alice', `10.0.${i}.1`)))
  t.equal(attempts.filter(a => a.refused === undefined).length, 3)
})

eachStore('503s and successes give their reservation back; only wrong passwords lock', async (t, counters) => {
  const throttle = new LoginThrottle(counters(), LIMITS)
  for (let i = 0; i < 30; i++) {
    const attempt = await throttle.begin('alice', '10.0.0.1')
    t.equal(attempt.refused, undefined, `attempt ${i} may check`)
    await (i % 2 === 0 ? attempt.abandoned() : attempt.succeeded())
  }
  for (let i = 0; i < 2; i++) t.same(await (await throttle.begin('alice', '10.0.0.1')).failed(), [])
  t.same(await (await throttle.begin('alice', '10.0.0.1')).failed(), ['user'], 'the third wrong password locks, not the 30 others')
  const locked = await throttle.begin('alice', '10.0.0.2')
  t.equal(locked.refused?.reason, 'user')
  t.ok((locked.refused?.retryAfterSeconds ?? 0) > 55)
  t.equal((await throttle.begin('alice', '10.0.0.2', 1)).refused, undefined, 'a newer lockout generation (an unlock) lifts it')
})
