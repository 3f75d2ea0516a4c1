import t from 'tap'
import type { AuditEvent } from '../../../src/audit/audit-event.js'
import { LoginThrottle } from '../../../src/auth/login-throttle.js'
import { createMemoryCounters } from '../../../src/auth/memory-counters.js'
import { createPasswordHasher } from '../../../src/passwords/password-hasher.js'
import { openStore } from '../../../src/store/store.js'
import { createUserService } from '../../../src/users/user-service.js'
import { PASSWORD, tempDir } from '../../helper.js'

async function setup (t: Parameters<typeof tempDir>[0]) {
  const store = await openStore({ databaseUrl: undefined, dataDir: tempDir(t), poolSize: 1 })
  t.teardown(async () => { await store.close() })
  const hasher = await createPasswordHasher({ cost: 4, concurrency: 2, queueMax: 16, queueTimeoutMs: 10_000 })
  const throttle = new LoginThrottle(createMemoryCounters(), { maxFailuresPerUser: 3, maxFailuresPerIp: 100, windowSeconds: 60, maxLockoutSeconds: 600 })
  return { store, hasher, throttle, users: createUserService({ store, hasher, throttle }) }
}

async function sessionFor (store: Awaited<ReturnType<typeof setup>>['store'], userId: number, id: string) {
  const now = Date.now()
  await store.sessions.create({ id, userId, scopes: [], authTime: Math.floor(now / 1000), createdAt: now, lastUsedAt: now, expiresAt: now + 3_600_000, userAgent: null, ip: null, revokedAt: null, clientId: null }, `hash-${id}`)
}

t.test('register stores a canonical username, a bcrypt hash and sorted scopes', async t => {
  const { users, hasher } = await setup(t)
  const user = await users.register({ username: 'Alice', password: PASSWORD, email: 'a@example.com', scopes: ['users:admin', 'a:read', 'a:read'] })
  t.equal(user.username, 'alice')
  t.equal(user.email, 'a@example.com')
  t.same(user.scopes, ['a:read', 'users:admin'])
  t.not(user.passwordHash, PASSWORD)
  t.equal(await hasher.verify(PASSWORD, user.passwordHash, '10.0.0.1'), true)
  t.same(await users.get('ALICE'), user, 'looked up case-insensitively')
})

t.test('register refusals', async t => {
  const { users } = await setup(t)
  await users.register({ username: 'alice', password: PASSWORD })
  await t.rejects(users.register({ username: 'ALICE', password: PASSWORD }), { code: 'conflict', statusCode: 409, message: /taken/ })
  await t.rejects(users.register({ username: 'no spaces', password: PASSWORD }), { code: 'invalid_request', statusCode: 400, message: /Invalid username/ })
  await t.rejects(users.register({ username: 'bob', password: 'short' }), { code: 'invalid_request', statusCode: 400, message: /at least 8 bytes/ })
  await t.rejects(users.register({ username: 'bob', password: 'password1' }), { code: 'invalid_request', statusCode: 400, message: /too common/ })
  await t.rejects(users.register({ username: 'bobby-tables', password: 'Bobby-Tables' }), { code: 'invalid_request', statusCode: 400, message: /not be the username/ })
  await t.rejects(users.register({ username: 'bob', password: 'x'.repeat(73) }), { code: 'invalid_request', statusCode: 400, message: /at most 72 bytes/ })
  await t.rejects(users.register({ username: 'bob', password: PASSWORD, scopes: ['bad scope'] }), { code: 'invalid_request', statusCode: 400, message: /Invalid scope/ })
  await t.rejects(users.get('nobody'), { code: 'not_found', statusCode: 404 })
})

t.test('list pages by username with a cursor', async t => {
  const { users } = await setup(t)
  for (const name of ['carol', 'alice', 'erin', 'bob', 'dave']) await users.register({ username: name, password: PASSWORD })
  const first = await users.list({ limit: 2 })
  t.same(first.users.map(u => u.username), ['alice', 'bob'])
  t.equal(first.nextCursor, 'bob')
  const second = await users.list({ after: 'bob', limit: 2 })
  t.same(second.users.map(u => u.username), ['carol', 'dave'])
  const last = await users.list({ after: 'dave', limit: 2 })
  t.same(last.users.map(u => u.username), ['erin'])
  t.equal(last.nextCursor, null)
  t.equal((await users.list({ after: 'dave', limit: 1 })).nextCursor, null, 'no cursor when the page ends exactly at the end')
})

t.test('update: disabling revokes every session; scopes are validated', async t => {
  const { users, store } = await setup(t)
  const user = await users.register({ username: 'alice', password: PASSWORD })
  await sessionFor(store, user.id, 's1')
  await sessionFor(store, user.id, 's2')
  const scoped = await users.update('Alice', { scopes: ['users:admin'], fullName: 'Alice A.' })
  t.same(scoped.user.scopes, ['users:admin'])
  t.equal(scoped.user.fullName, 'Alice A.')
  t.equal(scoped.revokedSessions, 0)
  const disabled = await users.update('alice', { disabled: true })
  t.equal(disabled.user.disabled, true)
  t.equal(disabled.revokedSessions, 2)
  t.same(await store.sessions.listForUser(user.id), [])
  await t.rejects(users.update('alice', { scopes: ['a"b'] }), { code: 'invalid_request', statusCode: 400 })
  await t.rejects(users.update('nobody', { disabled: true }), { code: 'not_found', statusCode: 404 })
})

t.test('delete removes the user and their sessions', async t => {
  const { users, store } = await setup(t)
  const user = await users.register({ username: 'alice', password: PASSWORD })
  await sessionFor(store, user.id, 's1')
  await users.delete('ALICE')
  await t.rejects(users.get('alice'), { code: 'not_found', statusCode: 404 })
  t.equal(await store.sessions.findWithUser('s1'), undefined)
  await t.rejects(users.delete('alice'), { code: 'not_found', statusCode: 404 })
})

t.test('changePassword checks the current one, applies the policy, keeps only the current session', async t => {
  const { users, store, hasher } = await setup(t)
  const user = await users.register({ username: 'alice', password: PASSWORD })
  await sessionFor(store, user.id, 'current')
  await sessionFor(store, user.id, 'other')
  const change = async (current: string, next: string) => await users.changePassword(user, 'current', { current, next }, { ip: '10.0.0.1' }, () => {})
  await t.rejects(change('wrong-password-1', 'New-Orbit-Lamp-77'), { code: 'access_denied', statusCode: 403 })
  await t.rejects(change(PASSWORD, 'password1'), { code: 'invalid_request', statusCode: 400, message: /too common/ })
  t.equal(await change(PASSWORD, 'New-Orbit-Lamp-77'), 1)
  t.same((await store.sessions.listForUser(user.id)).map(s => s.id), ['current'])
  const stored = await users.get('alice')
  t.equal(await hasher.verify('New-Orbit-Lamp-77', stored.passwordHash, '10.0.0.1'), true)
  t.equal(await hasher.verify(PASSWORD, stored.passwordHash, '10.0.0.1'), false)
})

t.test('setPassword (CLI) applies the policy and revokes every session', async t => {
  const { users, store, hasher } = await setup(t)
  const user = await users.register({ username: 'alice', password: PASSWORD })
  await sessionFor(store, user.id, 's1')
  await t.rejects(users.setPassword('alice', 'alice'), { code: 'invalid_request', statusCode: 400 })
  await users.setPassword('alice', 'New-Orbit-Lamp-77')
  t.same(await store.sessions.listForUser(user.id), [])
  t.equal(await hasher.verify('New-Orbit-Lamp-77', (await users.get('alice')).passwordHash, '10.0.0.1'), true)
})

t.test('changePassword: a wrong current password is a failed login; once locked out, even the right one gets 429', async t => {
  const { users, store, throttle } = await setup(t)
  const user = await users.register({ username: 'alice', password: PASSWORD })
  await sessionFor(store, user.id, 'current')
  const events: AuditEvent[] = []
  const change = async (current: string) =>
    await users.changePassword(user, 'current', { current, next: 'New-Orbit-Lamp-77' }, { ip: '10.0.0.1' }, e => events.push(e))
  for (let i = 0; i < 3; i++) await t.rejects(change(`wrong-${i}`), { code: 'access_denied', statusCode: 403 })
  t.same(events.slice(-2), [
    { event: 'login.failed', username: 'alice', reason: 'bad_credentials' },
    { event: 'login.locked_out', username: 'alice', scope: 'user' }
  ], 'the third wrong password locked the user out, as three failed logins would')
  await t.rejects(change(PASSWORD), { code: 'too_many_requests', statusCode: 429, headers: { 'retry-after': '60' } })
  t.equal((await throttle.begin('alice', '10.9.9.9')).refused?.reason, 'user', 'logins are locked out too, from any IP')

  await users.unlock('ALICE')
  t.equal(await change(PASSWORD), 0, 'after an unlock the right password changes it')
  await t.rejects(users.unlock('nobody'), { code: 'not_found', statusCode: 404 })
})

t.test('an admin password reset (setPassword, update with a password) lifts a lockout', async t => {
  const { users, throttle } = await setup(t)
  await users.register({ username: 'alice', password: PASSWORD })
  const generation = async () => (await users.get('alice')).lockoutGeneration
  const canAttempt = async () => {
    const attempt = await throttle.begin('alice', '10.0.1.1', await generation())
    await attempt.abandoned()
    return attempt.refused === undefined
  }
  const lockOut = async () => {
    for (let i = 0; i < 3; i++) await (await throttle.begin('alice', `10.0.0.${i}`, await generation())).failed()
    t.equal(await canAttempt(), false, 'locked out')
  }
  await lockOut()
  await users.setPassword('alice', 'New-Orbit-Lamp-77')
  t.equal(await canAttempt(), true, 'setPassword lifted it')
  await lockOut()
  const { revokedSessions } = await users.update('alice', { password: 'Other-Orbit-Lamp-88', fullName: 'Alice' })
  t.equal(revokedSessions, 0)
  t.equal((await users.get('alice')).fullName, 'Alice')
  t.equal(await canAttempt(), true, 'update with a password lifted it')
  await t.rejects(users.update('alice', { password: 'alice' }), { code: 'invalid_request' }, 'the policy applies')
})

t.test('every way of setting a password refuses one that contains the username', async t => {
  const { users } = await setup(t)
  const refusal = { code: 'invalid_request', statusCode: 400, message: 'Password must not contain the username' }
  await t.rejects(users.register({ username: 'Marguerite', password: 'xMarguerite-42' }), refusal, 'register (POST /users, CLI user add)')
  const user = await users.register({ username: 'marguerite', password: PASSWORD })
  await t.rejects(users.changePassword(user, undefined, { current: PASSWORD, next: 'Orbit-MARGUERITE-7' }, { ip: '10.0.0.1' }, () => {}), refusal, 'changePassword (PUT /users/me/password)')
  await t.rejects(users.setPassword('MARGUERITE', 'new-marguerite-pass'), refusal, 'setPassword (CLI user password)')
  t.ok(await users.register({ username: 'amy', password: 'Amy-Lamp-Orbit-42' }), 'a 3-character username may appear inside a password')
})

t.test('emails pass the check the API applies, from every caller (the CLI reaches the service unvalidated)', async t => {
  const { users } = await setup(t)
  for (const email of ['carol at example.com', 'carol@', '@example.com', `${'a'.repeat(310)}@example.com`]) {
    await t.rejects(users.register({ username: 'carol', password: PASSWORD, email }), { code: 'invalid_request', message: /Invalid email address/ }, email.slice(0, 30))
  }
  t.equal((await users.register({ username: 'carol', password: PASSWORD, email: 'carol+x@mail.example.com' })).email, 'carol+x@mail.example.com')
  await t.rejects(users.update('carol', { email: 'nope' }), { code: 'invalid_request', message: /Invalid email address/ })
  t.equal((await users.update('carol', { email: null })).user.email, null, 'null clears it')
})
