import t from 'tap'
import { LoginThrottle } from '../../../src/auth/login-throttle.js'
import { createMemoryCounters } from '../../../src/auth/memory-counters.js'

function setup (limits = { maxFailuresPerUser: 3, maxFailuresPerIp: 5, windowSeconds: 60 }) {
  const clock = { now: 1_000_000 }
  const counters = createMemoryCounters(() => clock.now)
  return { clock, counters, throttle: new LoginThrottle(counters, limits) }
}

t.test('memory counters: atomic increments within a window, then expiry', async t => {
  const { clock, counters } = setup()
  t.same(await counters.increment('k', 10), { count: 1, ttlSeconds: 10 })
  clock.now += 4000
  t.same(await counters.increment('k', 10), { count: 2, ttlSeconds: 6 }, 'the window does not restart')
  t.same(await counters.get('k'), { count: 2, ttlSeconds: 6 })
  clock.now += 6000
  t.equal(await counters.get('k'), undefined, 'expired')
  t.same(await counters.increment('k', 10), { count: 1, ttlSeconds: 10 }, 'a new window')
  await counters.reset('k')
  t.equal(await counters.get('k'), undefined)
  const parallel = await Promise.all(Array.from({ length: 20 }, async () => await counters.increment('p', 10)))
  t.same(parallel.map(r => r.count).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1), 'no lost updates')
})

t.test('memory counters stay bounded', async t => {
  const clock = { now: 0 }
  const counters = createMemoryCounters(() => clock.now, 10)
  for (let i = 0; i < 50; i++) await counters.increment(`k${i}`, 60)
  let live = 0
  for (let i = 0; i < 50; i++) if (await counters.get(`k${i}`) !== undefined) live++
  t.ok(live <= 10, `${live} entries kept`)
  t.ok(await counters.get('k49'), 'the newest is kept')
})

/** One failed password attempt, the way the auth service makes it. */
async function fail (throttle: LoginThrottle, username: string, ip: string) {
  const attempt = await throttle.beginAttempt(username, ip)
  if (attempt.locked) return attempt
  return await throttle.recordFailure(username, ip)
}

t.test('locks a username after maxFailuresPerUser, with Retry-After', async t => {
  const { clock, throttle } = setup()
  t.same(await throttle.check('alice', '10.0.0.1'), { locked: false, retryAfterSeconds: 0 })
  t.equal((await fail(throttle, 'alice', '10.0.0.1')).locked, false)
  t.equal((await fail(throttle, 'alice', '10.0.0.2')).locked, false)
  const third = await fail(throttle, 'alice', '10.0.0.3')
  t.match(third, { locked: true, retryAfterSeconds: 60, reason: 'user' }, 'the failure that crosses the limit says so')
  const fourth = await throttle.beginAttempt('alice', '10.9.9.9')
  t.equal(fourth.locked, true, 'the next attempt is refused, from any IP')
  t.equal(fourth.reason, 'user')
  t.equal((await throttle.check('alice', '10.9.9.9')).locked, true)
  t.equal((await throttle.beginAttempt('bob', '10.0.0.1')).locked, false, 'other users are not affected')
  clock.now += 60_000
  t.equal((await throttle.beginAttempt('alice', '10.0.0.1')).locked, false, 'unlocked after the window')
})

t.test('parallel attempts cannot slip past the limit', async t => {
  const { throttle } = setup()
  const attempts = await Promise.all(Array.from({ length: 20 }, async (_, i) => await throttle.beginAttempt('alice', `10.0.0.${i}`)))
  t.equal(attempts.filter(a => !a.locked).length, 3, 'only three may check a password')
})

t.test('each lockout doubles the next window', async t => {
  const { clock, throttle } = setup()
  for (let i = 0; i < 3; i++) await fail(throttle, 'alice', `10.0.0.${i}`)
  clock.now += 60_000
  let last
  for (let i = 0; i < 3; i++) last = await fail(throttle, 'alice', `10.0.1.${i}`)
  t.match(last, { locked: true, retryAfterSeconds: 120, reason: 'user' })
})

t.test('locks an IP after maxFailuresPerIp across usernames', async t => {
  const { throttle } = setup()
  for (let i = 0; i < 4; i++) await fail(throttle, `user${i}`, '10.0.0.1')
  const fifth = await fail(throttle, 'user4', '10.0.0.1')
  t.match(fifth, { locked: true, retryAfterSeconds: 60, reason: 'ip' })
  t.equal((await throttle.beginAttempt('someone-else', '10.0.0.1')).reason, 'ip')
  t.equal((await throttle.beginAttempt('someone-else', '10.0.0.2')).locked, false)
})

t.test('a success clears the username count, including the attempt in flight', async t => {
  const { throttle } = setup()
  await fail(throttle, 'alice', '10.0.0.1')
  await fail(throttle, 'alice', '10.0.0.1')
  await throttle.beginAttempt('alice', '10.0.0.1')
  await throttle.recordSuccess('alice')
  t.equal((await fail(throttle, 'alice', '10.0.0.1')).locked, false)
  t.equal((await fail(throttle, 'alice', '10.0.0.1')).locked, false)
  t.equal((await fail(throttle, 'alice', '10.0.0.1')).locked, true)
})
