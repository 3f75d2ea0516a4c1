import t from 'tap'
import { compare, hash } from '@node-rs/bcrypt'
import type { AuditEvent } from '../../../src/audit/audit-event.js'
import { LoginThrottle, type ThrottleLimits } from '../../../src/auth/login-throttle.js'
import { createMemoryCounters } from '../../../src/auth/memory-counters.js'
import { checkPassword } from '../../../src/auth/password-check.js'
import type { ServiceError } from '../../../src/errors.js'
import { createPasswordHasher, hashCost, type CompareFunction } from '../../../src/passwords/password-hasher.js'
import type { User } from '../../../src/store/user.js'

const PASSWORD = 'Sturdy-Lamp-Orbit-42'
const COST = 5
const LIMITS: ThrottleLimits = { maxFailuresPerUser: 3, maxFailuresPerIp: 6, windowSeconds: 60, maxLockoutSeconds: 600 }

/** checkPassword with real counters and a real hasher whose bcrypt compare is counted (calls and 2^cost work). */
async function setup (options: { maxEntries?: number, limits?: Partial<ThrottleLimits> } = {}) {
  const calls: Array<number | undefined> = []
  const counted: CompareFunction = async (password, passwordHash) => {
    calls.push(hashCost(passwordHash))
    return await compare(password, passwordHash)
  }
  const hasher = await createPasswordHasher({ cost: COST, concurrency: 1, queueMax: 16, queueMaxPerSource: 8, queueTimeoutMs: 60_000, compare: counted })
  const throttle = new LoginThrottle(createMemoryCounters(Date.now, options.maxEntries), { ...LIMITS, ...options.limits })
  const events: AuditEvent[] = []
  const check = async (username: string, user: User | undefined, password: string, ip = '10.0.0.1', refusalTime = Promise.resolve()) =>
    await checkPassword({ throttle, hasher }, { username, ip, user, password, refusalTime }, event => { events.push(event) })
  /** The refusal (a thrown ServiceError) or the result, with the compare calls it made. */
  const attempt = async (username: string, user: User | undefined, password: string, ip?: string) => {
    calls.length = 0
    let result: boolean | ServiceError
    try { result = await check(username, user, password, ip) } catch (err) { result = err as ServiceError }
    return { result, compares: [...calls], work: calls.reduce<number>((sum, cost) => sum + 2 ** (cost ?? 0), 0) }
  }
  return { attempt, check, events }
}

let nextId = 1
async function userWith (username: string, passwordHash?: string): Promise<User> {
  const now = Date.now()
  return { id: nextId++, username, email: null, fullName: null, passwordHash: passwordHash ?? await hash(PASSWORD, COST), disabled: false, scopes: [], createdAt: now, updatedAt: now, lockoutGeneration: 0, emailVerified: false }
}

const refusal = (result: boolean | ServiceError) => typeof result === 'boolean'
  ? result
  : { status: result.statusCode, code: result.code, message: result.message, headers: result.headers }

t.test('attempts that are not refused do one comparison\'s work at the configured cost, whatever their outcome', async t => {
  const { attempt } = await setup()
  const alice = await userWith('alice')
  const veteran = await userWith('veteran', await hash(PASSWORD, COST - 1))
  const cases: Array<[string, string, User | undefined, string, boolean]> = [
    ['right password', 'alice', alice, PASSWORD, true],
    ['wrong password', 'alice', alice, 'wrong-password', false],
    ['unknown user', 'ghost', undefined, PASSWORD, false],
    ['a lower-cost hash, wrong password', 'veteran', veteran, 'wrong-password', false],
    ['an unusable stored hash', 'broken', await userWith('broken', 'not-a-bcrypt-hash'), PASSWORD, false]
  ]
  for (const [name, username, user, password, matches] of cases) {
    const { result, work } = await attempt(username, user, password)
    t.equal(result, matches, `${name}: ${matches ? 'matches' : 'refused with 401'}`)
    t.equal(work, 2 ** COST, `${name}: the work of one cost-${COST} comparison`)
  }
})

t.test('a refused attempt calls no compare: user lockout, IP limit, counters full', async t => {
  const { attempt, events } = await setup()
  const alice = await userWith('alice')
  for (let i = 0; i < 3; i++) t.equal((await attempt('alice', alice, 'wrong-password')).result, false)

  const locked = await attempt('alice', alice, PASSWORD)
  t.match(refusal(locked.result), { status: 429, code: 'too_many_requests' }, 'the user is locked out, even with the right password')
  t.same(locked.compares, [], 'no bcrypt comparison')
  t.match(events.at(-1), { event: 'login.failed', username: 'alice', reason: 'locked_out' })

  for (let i = 0; i < 6; i++) t.equal((await attempt(`user${i}`, undefined, 'wrong', '10.0.0.9')).result, false)
  const overIp = await attempt('bob', await userWith('bob'), PASSWORD, '10.0.0.9')
  t.match(refusal(overIp.result), { status: 429 }, 'the IP is over its limit (6 failures over six usernames)')
  t.same(overIp.compares, [], 'no bcrypt comparison')

  // Nine usernames locked out from one IP: ten counters, all kept (live lockouts, and the IP's own).
  const full = await setup({ maxEntries: 10, limits: { maxFailuresPerUser: 1, maxFailuresPerIp: 1000 } })
  for (let i = 0; i < 9; i++) t.equal((await full.attempt(`victim${i}`, undefined, 'wrong', '10.1.0.1')).result, false)
  const noRoom = await full.attempt('newcomer', undefined, 'wrong', '10.1.0.1')
  t.match(refusal(noRoom.result), { status: 503, code: 'temporarily_unavailable' }, 'the counters cannot take a new username')
  t.same(noRoom.compares, [], 'no bcrypt comparison')
})

t.test('the lockout of an unknown username answers exactly like that of a known one', async t => {
  const { attempt } = await setup()
  const alice = await userWith('alice')
  const answers = []
  for (const [username, user] of [['alice', alice], ['ghost', undefined]] as const) {
    for (let i = 0; i < 3; i++) t.equal((await attempt(username, user, 'wrong-password', '10.0.0.2')).result, false)
    answers.push(await attempt(username, user, PASSWORD, '10.0.0.3'))
  }
  const [known, unknown] = answers
  t.match(refusal(known?.result ?? false), { status: 429 })
  t.same(refusal(unknown?.result ?? false), refusal(known?.result ?? false), 'same status, code, description and Retry-After')
  t.same(unknown?.compares, known?.compares, 'the same (no) hashing work')
  t.same(known?.compares, [])
})

t.test('a refusal answers when the attempt\'s refusal time comes, not before', async t => {
  const { attempt, check } = await setup()
  for (let i = 0; i < 3; i++) await attempt('ghost', undefined, 'wrong-password')
  let due = () => {}
  const refusalTime = new Promise<void>(resolve => { due = resolve })
  let settled = false
  const answer = check('ghost', undefined, PASSWORD, '10.0.0.1', refusalTime).finally(() => { settled = true })
  for (let turn = 0; turn < 20; turn++) await new Promise(resolve => setImmediate(resolve))
  t.equal(settled, false, 'the refusal is decided but not answered yet')
  due()
  await t.rejects(answer, { message: 'Too many failed attempts, try again later' }, 'then it is answered: 429')
})
