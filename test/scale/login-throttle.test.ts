import t from 'tap'
import { LoginThrottle } from '../../src/auth/login-throttle.js'
import { createMemoryCounters } from '../../src/auth/memory-counters.js'

const WINDOW = 60

t.test('each lockout doubles the next window, up to 16x', async t => {
  let now = 1_000_000
  const throttle = new LoginThrottle(createMemoryCounters(() => now), { maxFailuresPerUser: 2, maxFailuresPerIp: 1000, windowSeconds: WINDOW })
  const lockoutWindows: number[] = []
  for (let round = 0; round < 6; round++) {
    await throttle.recordFailure('alice', '10.0.0.1')
    const crossing = await throttle.recordFailure('alice', '10.0.0.1')
    t.match(crossing, { locked: true, reason: 'user', overLimit: false }, `round ${round}: the failure reaching the limit locks`)
    const verdict = await throttle.check('alice', '10.0.0.1')
    t.equal(verdict.locked, true)
    lockoutWindows.push(verdict.retryAfterSeconds)
    now += verdict.retryAfterSeconds * 1000
    t.equal((await throttle.check('alice', '10.0.0.1')).locked, false, `round ${round}: the lockout ends with its window`)
  }
  t.same(lockoutWindows, [60, 120, 240, 480, 960, 960])
})

t.test('failures past the limit are marked overLimit', async t => {
  const throttle = new LoginThrottle(createMemoryCounters(), { maxFailuresPerUser: 2, maxFailuresPerIp: 1000, windowSeconds: WINDOW })
  const verdicts = await Promise.all([1, 2, 3, 4].map(async () => await throttle.recordFailure('alice', '10.0.0.1')))
  t.same(verdicts.map(v => v.overLimit), [false, false, true, true])
})

t.test('a success resets the username counter but not the IP counter', async t => {
  const throttle = new LoginThrottle(createMemoryCounters(), { maxFailuresPerUser: 2, maxFailuresPerIp: 3, windowSeconds: WINDOW })
  await throttle.recordFailure('alice', '10.0.0.1')
  await throttle.recordFailure('bob', '10.0.0.1')
  await throttle.recordSuccess('alice')
  t.equal((await throttle.check('alice', '10.0.0.1')).locked, false)
  const third = await throttle.recordFailure('alice', '10.0.0.1')
  t.match(third, { locked: true, reason: 'ip' }, 'the IP counter kept its two failures')
})
