import t from 'tap'
import { LoginThrottle, type Attempt, type ThrottleLimits } from '../../../src/auth/login-throttle.js'
import { createMemoryCounters } from '../../../src/auth/memory-counters.js'

const LIMITS: ThrottleLimits = { maxFailuresPerUser: 3, maxFailuresPerIp: 5, windowSeconds: 60, maxLockoutSeconds: 600 }

function setup (limits: Partial<ThrottleLimits> = {}, maxEntries?: number) {
  const clock = { now: 1_000_000 }
  const counters = createMemoryCounters(() => clock.now, maxEntries)
  return { clock, counters, throttle: new LoginThrottle(counters, { ...LIMITS, ...limits }) }
}

/** One wrong password, the way the password check makes it: the attempt, or its refusal. */
async function fail (throttle: LoginThrottle, username: string, ip: string, generation = 0) {
  const attempt = await throttle.begin(username, ip, generation)
  if (attempt.refused !== undefined) return { refused: attempt.refused, lockouts: [] }
  return { refused: undefined, lockouts: await attempt.failed() }
}

async function refusal (throttle: LoginThrottle, username: string, ip: string, generation = 0) {
  const attempt = await throttle.begin(username, ip, generation)
  await attempt.abandoned()
  return attempt.refused
}

t.test('locks a username after maxFailuresPerUser, from any IP, with Retry-After, until the window ends', async t => {
  const { clock, throttle } = setup()
  t.same(await fail(throttle, 'alice', '10.0.0.1'), { refused: undefined, lockouts: [] })
  t.same(await fail(throttle, 'alice', '10.0.0.2'), { refused: undefined, lockouts: [] })
  t.same(await fail(throttle, 'alice', '10.0.0.3'), { refused: undefined, lockouts: ['user'] }, 'the failure that reaches the limit starts the lockout')
  t.same(await refusal(throttle, 'alice', '10.9.9.9'), { reason: 'user', retryAfterSeconds: 60 })
  t.equal(await refusal(throttle, 'bob', '10.0.0.1'), undefined, 'other users are not affected')
  clock.now += 60_000
  t.equal(await refusal(throttle, 'alice', '10.0.0.1'), undefined, 'unlocked after the window')
})

t.test('locks an IP after maxFailuresPerIp across usernames', async t => {
  const { throttle } = setup()
  for (let i = 0; i < 4; i++) await fail(throttle, `user${i}`, '10.0.0.1')
  t.same((await fail(throttle, 'user4', '10.0.0.1')).lockouts, ['ip'])
  t.equal((await refusal(throttle, 'someone-else', '10.0.0.1'))?.reason, 'ip')
  t.equal(await refusal(throttle, 'someone-else', '10.0.0.2'), undefined)
})

t.test('parallel attempts for one user: at most the limit may check a password', async t => {
  const { throttle } = setup()
  const attempts = await Promise.all(Array.from({ length: 20 }, async (_, i) => await throttle.begin('alice', `10.0.0.${i}`)))
  t.equal(attempts.filter(a => a.refused === undefined).length, 3)
})

t.test('parallel attempts over distinct usernames from one IP: at most the IP limit may check a password', async t => {
  const { throttle } = setup({ maxFailuresPerIp: 10 })
  const attempts = await Promise.all(Array.from({ length: 200 }, async (_, i) => await throttle.begin(`user${i}`, '10.0.0.1')))
  const allowed = attempts.filter(a => a.refused === undefined)
  t.equal(allowed.length, 10, 'the per-IP limit is reserved before the check, like the per-user one')
  t.ok(attempts.slice(10).every(a => a.refused?.reason === 'ip'), 'the rest are refused for the IP')
  const refusedUsers = await Promise.all(Array.from({ length: 190 }, async (_, i) => await refusal(throttle, `user${i + 10}`, `10.1.${i}.1`)))
  t.ok(refusedUsers.every(r => r === undefined), 'a refused attempt reserved nothing on its username')
})

t.test('a right password clears the user count and gives the IP reservation back', async t => {
  const { throttle } = setup({ maxFailuresPerIp: 3 })
  await fail(throttle, 'alice', '10.0.0.1')
  await fail(throttle, 'alice', '10.0.0.2')
  await (await throttle.begin('alice', '10.0.0.3')).succeeded()
  for (let i = 0; i < 2; i++) t.equal((await fail(throttle, 'alice', '10.0.0.3')).refused, undefined)
  t.same((await fail(throttle, 'alice', '10.0.0.3')).lockouts, ['user', 'ip'], 'three failures after the success lock the user, and the IP (whose success was not counted)')
})

t.test('attempts that end without an answer (503) are given back and never lock anyone out', async t => {
  const { throttle } = setup()
  for (let i = 0; i < 50; i++) {
    const attempt = await throttle.begin('alice', '10.0.0.1')
    t.equal(attempt.refused, undefined)
    await attempt.abandoned()
    await attempt.abandoned()
    await attempt.failed()
  }
  t.equal(await refusal(throttle, 'alice', '10.0.0.1'), undefined, 'fifty 503s later, neither the user nor the IP is locked')
  const inFlight: Attempt[] = []
  for (let i = 0; i < 3; i++) inFlight.push(await throttle.begin('alice', '10.0.0.1'))
  t.equal((await refusal(throttle, 'alice', '10.0.0.1'))?.reason, 'user', 'reservations in flight hold their places')
  await inFlight[0]?.abandoned()
  t.equal(await refusal(throttle, 'alice', '10.0.0.1'), undefined, 'and give them back')
})

t.test('refused attempts (429) are not counted', async t => {
  const { clock, throttle } = setup({ maxFailuresPerIp: 100 })
  for (let i = 0; i < 3; i++) await fail(throttle, 'alice', '10.0.0.1')
  for (let i = 0; i < 100; i++) t.equal((await refusal(throttle, 'alice', '10.0.0.1'))?.reason, 'user')
  clock.now += 60_000
  t.equal(await refusal(throttle, 'alice', '10.0.0.2'), undefined)
  t.equal(await refusal(throttle, 'bob', '10.0.0.1'), undefined, 'the IP counted only its 3 failures, not the 100 refusals')
})

t.test('each lockout doubles the next window, up to maxLockoutSeconds', async t => {
  const { clock, throttle } = setup({ maxFailuresPerUser: 2, maxFailuresPerIp: 1000, windowSeconds: 60, maxLockoutSeconds: 500 })
  const lockouts: number[] = []
  for (let round = 0; round < 6; round++) {
    await fail(throttle, 'alice', '10.0.0.1')
    t.same((await fail(throttle, 'alice', '10.0.0.1')).lockouts, ['user'], `round ${round}: the failure reaching the limit locks`)
    const refused = await refusal(throttle, 'alice', '10.0.0.1')
    lockouts.push(refused?.retryAfterSeconds ?? 0)
    clock.now += (refused?.retryAfterSeconds ?? 0) * 1000
    t.equal(await refusal(throttle, 'alice', '10.0.0.1'), undefined, `round ${round}: the lockout ends with its window`)
  }
  t.same(lockouts, [60, 120, 240, 480, 500, 500])
})

t.test('a newer lockout generation (unlock, admin reset) discards the count and the escalation', async t => {
  const { throttle } = setup({ maxFailuresPerUser: 2 })
  for (let i = 0; i < 2; i++) await fail(throttle, 'alice', '10.0.0.1')
  t.equal((await refusal(throttle, 'alice', '10.0.0.1'))?.reason, 'user')
  t.equal(await refusal(throttle, 'alice', '10.0.0.1', 1), undefined, 'generation 1: unlocked')
  await fail(throttle, 'alice', '10.0.0.1', 1)
  t.same((await fail(throttle, 'alice', '10.0.0.1', 1)).lockouts, ['user'])
  t.same(await refusal(throttle, 'alice', '10.0.0.1', 1), { reason: 'user', retryAfterSeconds: 60 }, 'the first window again: the escalation went too')
  t.equal((await refusal(throttle, 'alice', '10.0.0.1', 0))?.reason, 'user', 'a stale read of the generation does not unlock')
})

t.test('bounded memory: a flood of fresh usernames never drops a live lockout', async t => {
  const { clock, throttle } = setup({ maxFailuresPerUser: 3, maxFailuresPerIp: 3 }, 20)
  for (let i = 0; i < 3; i++) await fail(throttle, 'victim', `10.0.0.${i}`)
  for (let i = 0; i < 3; i++) await fail(throttle, `someone${i}`, '10.6.6.6')
  t.equal((await refusal(throttle, 'victim', '10.1.1.1'))?.reason, 'user')
  t.equal((await refusal(throttle, 'x', '10.6.6.6'))?.reason, 'ip')

  let full = 0
  for (let i = 0; i < 500; i++) {
    const attempt = await throttle.begin(`fresh${i}`, `10.2.${i >> 8}.${i & 255}`)
    if (attempt.refused?.reason === 'capacity') full++
    await attempt.failed()
  }
  t.equal(full, 0, 'counters below the limit made room for new ones')
  t.same(await refusal(throttle, 'victim', '10.1.1.1'), { reason: 'user', retryAfterSeconds: 60 }, 'the user lockout held')
  t.equal((await refusal(throttle, 'x', '10.6.6.6'))?.reason, 'ip', 'the IP lockout held')

  // Fill the table with live lockouts: a new key is then refused, not made by evicting one.
  for (let i = 0; i < 30; i++) for (let j = 0; j < 3; j++) await fail(throttle, `locked${i}`, `10.3.${i}.${j}`)
  const refused = await refusal(throttle, 'newcomer', '10.4.4.4')
  t.equal(refused?.reason, 'capacity', 'no room without dropping a lockout: refused')
  t.ok((refused?.retryAfterSeconds ?? 0) >= 1, 'with a Retry-After')
  t.equal((await refusal(throttle, 'victim', '10.1.1.1'))?.reason, 'user', 'the victim is still locked out')
  clock.now += 60_000
  t.equal(await refusal(throttle, 'newcomer', '10.4.4.4'), undefined, 'room again once the lockouts end')
})

t.test('bounded memory: the escalation level is kept after the lockout window', async t => {
  const { clock, throttle } = setup({ maxFailuresPerUser: 2, maxFailuresPerIp: 1000 }, 10)
  for (let i = 0; i < 2; i++) await fail(throttle, 'victim', '10.0.0.1')
  clock.now += 60_000
  for (let i = 0; i < 200; i++) await fail(throttle, `fresh${i}`, `10.2.0.${i}`)
  for (let i = 0; i < 2; i++) await fail(throttle, 'victim', '10.0.0.1')
  t.same(await refusal(throttle, 'victim', '10.0.0.1'), { reason: 'user', retryAfterSeconds: 120 }, 'the second lockout is twice as long')
})
