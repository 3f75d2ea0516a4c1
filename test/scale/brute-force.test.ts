import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { temporarilyUnavailable } from '../../src/errors.js'
import { HashQueueFullError } from '../../src/passwords/hash-limiter.js'
import { addUser, build, form, PASSWORD } from '../helper.js'
import { eachCounterStore } from './counter-stores.js'

const LIMITS = { LOGIN_MAX_FAILURES_PER_USER: '3', LOGIN_MAX_FAILURES_PER_IP: '50', LOGIN_FAILURE_WINDOW_SECONDS: '60' }

async function attempt (app: FastifyInstance, username: string, password: string, headers: Record<string, string> = {}) {
  const request = form({ username, password })
  return await app.inject({ method: 'POST', url: '/token', payload: request.payload, headers: { ...request.headers, ...headers } })
}

eachCounterStore('per-username limit: 429 too_many_requests with Retry-After, even for the right password', async (t, env) => {
  const app = await build(t, { ...env, ...LIMITS })
  await addUser(app, 'alice')
  for (let i = 1; i <= 3; i++) t.equal((await attempt(app, 'alice', 'wrong')).statusCode, 401, `failure ${i} is a 401`)
  const locked = await attempt(app, 'alice', 'wrong')
  t.equal(locked.statusCode, 429)
  t.same(locked.json(), { error: 'too_many_requests', error_description: 'Too many failed attempts, try again later' })
  const retryAfter = Number(locked.headers['retry-after'])
  t.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter} is within the window`)
  t.equal((await attempt(app, 'ALICE', PASSWORD)).statusCode, 429, 'the right password does not lift the lockout')
  t.equal((await attempt(app, 'bob', 'wrong')).statusCode, 401, 'other usernames are not affected')
})

eachCounterStore('a locked-out answer looks the same for existing and unknown usernames and costs no hashing', async (t, env) => {
  const app = await build(t, { ...env, ...LIMITS })
  await addUser(app, 'alice')
  let verifications = 0
  const verify = app.passwordHasher.verify
  app.passwordHasher.verify = async (...args) => { verifications++; return await verify(...args) }

  const lockedAnswers = []
  for (const username of ['alice', 'ghost']) {
    for (let i = 0; i < 3; i++) await attempt(app, username, 'wrong')
    verifications = 0
    const res = await attempt(app, username, 'wrong')
    t.equal(verifications, 0, `${username}: the locked-out refusal took no hashing slot`)
    lockedAnswers.push(res)
  }
  const [known, unknown] = lockedAnswers
  t.equal(known?.statusCode, 429)
  t.equal(unknown?.statusCode, known?.statusCode)
  t.equal(unknown?.body, known?.body)
  const headerNames = (res: typeof known) => Object.keys(res?.headers ?? {}).filter(h => h !== 'date').sort()
  t.same(headerNames(unknown), headerNames(known))
  t.equal(unknown?.headers['retry-after'], known?.headers['retry-after'])
})

eachCounterStore('a successful login resets the username counter', async (t, env) => {
  const app = await build(t, { ...env, ...LIMITS })
  await addUser(app, 'alice')
  for (let i = 0; i < 2; i++) t.equal((await attempt(app, 'alice', 'wrong')).statusCode, 401)
  t.equal((await attempt(app, 'alice', PASSWORD)).statusCode, 200)
  for (let i = 0; i < 3; i++) t.equal((await attempt(app, 'alice', 'wrong')).statusCode, 401, 'three more failures are allowed again')
  t.equal((await attempt(app, 'alice', 'wrong')).statusCode, 429)
})

eachCounterStore('per-IP limit across usernames', async (t, env) => {
  const app = await build(t, { ...env, ...LIMITS, LOGIN_MAX_FAILURES_PER_IP: '4' })
  for (let i = 0; i < 4; i++) t.equal((await attempt(app, `user${i}`, 'wrong')).statusCode, 401)
  const locked = await attempt(app, 'someone-else', 'wrong')
  t.equal(locked.statusCode, 429)
  t.ok(Number(locked.headers['retry-after']) >= 1)
})

eachCounterStore('N parallel wrong guesses against limit L: exactly L get a 401, the rest 429', async (t, env, kind) => {
  const limit = 5
  const guesses = 24
  const app = await build(t, { ...env, ...LIMITS, LOGIN_MAX_FAILURES_PER_USER: String(limit) })
  await addUser(app, 'alice')
  const results = await Promise.all(Array.from({ length: guesses }, async (_, i) => await attempt(app, 'alice', `wrong-${i}`)))
  const statuses = results.map(r => r.statusCode)
  t.equal(statuses.filter(s => s === 401).length, limit, `${kind}: exactly ${limit} refusals counted as plain failures`)
  t.equal(statuses.filter(s => s === 429).length, guesses - limit)
})

eachCounterStore('200 parallel wrong logins over distinct usernames from one IP: at most the IP limit are password-checked', async (t, env, kind) => {
  const app = await build(t, { ...env, ...LIMITS, LOGIN_MAX_FAILURES_PER_IP: '10', HASH_QUEUE_MAX: '100000', HASH_QUEUE_MAX_PER_IP: '100000', HASH_QUEUE_TIMEOUT_MS: '60000' })
  // Every username exists (sharing one stored hash), so each real check is a verify against a stored hash.
  const passwordHash = await app.passwordHasher.hash(PASSWORD, '127.0.0.1')
  const usernames = Array.from({ length: 200 }, (_, i) => `user${i}`)
  for (const username of usernames) await app.store.users.create({ username, email: null, fullName: null, passwordHash, disabled: false, scopes: [] })
  let checks = 0
  const verify = app.passwordHasher.verify
  app.passwordHasher.verify = async (password, hash, source) => { if (hash !== undefined) checks++; return await verify(password, hash, source) }

  const RIGHT = 150
  const results = await Promise.all(usernames.map(async (username, i) => await attempt(app, username, i === RIGHT ? PASSWORD : `wrong-${i}`)))
  const statuses = results.map(r => r.statusCode)
  t.equal(checks, 10, `${kind}: exactly the IP limit of passwords were checked`)
  t.equal(statuses.filter(s => s === 401).length, 10)
  t.equal(statuses.filter(s => s === 429).length, 190, 'the rest were refused')
  t.ok(results.filter(r => r.statusCode === 429).every(r => Number(r.headers['retry-after']) >= 1), 'with Retry-After')
  t.equal(statuses[RIGHT], 429, 'the right password, sent after the limit, does not log in')
})

eachCounterStore('attempts answered 503 (hashing queue full, store down) are not failures: the right password works afterwards', async (t, env) => {
  const app = await build(t, { ...env, ...LIMITS })
  await addUser(app, 'alice')
  const verify = app.passwordHasher.verify
  app.passwordHasher.verify = async () => { throw new HashQueueFullError() }
  for (let i = 0; i < 10; i++) {
    const res = await attempt(app, 'alice', PASSWORD)
    t.equal(res.statusCode, 503, `retry ${i} during saturation: 503`)
  }
  app.passwordHasher.verify = verify
  const findByUsername = app.store.users.findByUsername
  app.store.users.findByUsername = async () => { throw temporarilyUnavailable('The database is unavailable', 2) }
  for (let i = 0; i < 10; i++) t.equal((await attempt(app, 'alice', PASSWORD)).statusCode, 503, `retry ${i} with the store down: 503`)
  app.store.users.findByUsername = findByUsername
  t.equal((await attempt(app, 'alice', PASSWORD)).statusCode, 200, 'not locked out by the outage')
  for (let i = 1; i <= 3; i++) t.equal((await attempt(app, 'alice', 'wrong')).statusCode, 401, `wrong password ${i} still counts`)
  t.equal((await attempt(app, 'alice', PASSWORD)).statusCode, 429)
})

eachCounterStore('TRUST_PROXY=false counts the socket address and ignores X-Forwarded-For', async (t, env) => {
  const app = await build(t, { ...env, ...LIMITS, LOGIN_MAX_FAILURES_PER_IP: '3', TRUST_PROXY: 'false' })
  for (let i = 0; i < 3; i++) {
    t.equal((await attempt(app, `user${i}`, 'wrong', { 'x-forwarded-for': `203.0.113.${i}` })).statusCode, 401)
  }
  t.equal((await attempt(app, 'user9', 'wrong', { 'x-forwarded-for': '198.51.100.7' })).statusCode, 429, 'a forged header does not escape the limit')
})

eachCounterStore('TRUST_PROXY=true counts the client address from X-Forwarded-For', async (t, env) => {
  const app = await build(t, { ...env, ...LIMITS, LOGIN_MAX_FAILURES_PER_IP: '3', TRUST_PROXY: 'true' })
  for (let i = 0; i < 3; i++) {
    t.equal((await attempt(app, `user${i}`, 'wrong', { 'x-forwarded-for': '203.0.113.5' })).statusCode, 401)
  }
  t.equal((await attempt(app, 'user9', 'wrong', { 'x-forwarded-for': '203.0.113.5' })).statusCode, 429, 'that client is locked out')
  t.equal((await attempt(app, 'user9', 'wrong', { 'x-forwarded-for': '198.51.100.7' })).statusCode, 401, 'another client behind the same proxy is not')
})

t.test('in-process counters full of live lockouts (LOGIN_COUNTERS_MAX_ENTRIES): a new username gets 503, no lockout is dropped', async t => {
  const app = await build(t, { ...LIMITS, LOGIN_MAX_FAILURES_PER_USER: '1', LOGIN_MAX_FAILURES_PER_IP: '1000', LOGIN_COUNTERS_MAX_ENTRIES: '10' })
  for (let i = 0; i < 9; i++) t.equal((await attempt(app, `user${i}`, 'wrong')).statusCode, 401, `user${i} locked out`)
  const refused = await attempt(app, 'newcomer', 'wrong')
  t.equal(refused.statusCode, 503, 'the counters cannot take another username without dropping a lockout')
  t.equal(refused.json().error, 'temporarily_unavailable')
  t.ok(Number(refused.headers['retry-after']) >= 1, 'Retry-After: until the first lockout ends')
  for (let i = 0; i < 9; i++) t.equal((await attempt(app, `user${i}`, PASSWORD)).statusCode, 429, `user${i} is still locked out`)
})
