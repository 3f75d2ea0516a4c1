import t from 'tap'
import { createPasswordHasher } from '../../../src/passwords/password-hasher.js'
import { openStore } from '../../../src/store/store.js'
import { createUserService } from '../../../src/users/user-service.js'
import { PASSWORD, tempDir } from '../../helper.js'

async function setup (t: Parameters<typeof tempDir>[0]) {
  const store = await openStore({ databaseUrl: undefined, dataDir: tempDir(t), poolSize: 1 })
  t.teardown(async () => { await store.close() })
  const hasher = await createPasswordHasher({ cost: 4, concurrency: 2, queueMax: 16, queueTimeoutMs: 10_000 })
  return { store, hasher, users: createUserService({ store, hasher }) }
}

async function sessionFor (store: Awaited<ReturnType<typeof setup>>['store'], userId: number, id: string) {
  const now = Date.now()
  await store.sessions.create({ id, userId, scopes: [], authTime: Math.floor(now / 1000), createdAt: now, lastUsedAt: now, expiresAt: now + 3_600_000, userAgent: null, ip: null, revokedAt: null }, `hash-${id}`)
}

t.test('register stores a canonical username, a bcrypt hash and sorted scopes', async t => {
  const { users, hasher } = await setup(t)
  const user = await users.register({ username: 'Alice', password: PASSWORD, email: 'a@example.com', scopes: ['users:admin', 'a:read', 'a:read'] })
  t.equal(user.username, 'alice')
  t.equal(user.email, 'a@example.com')
  t.same(user.scopes, ['a:read', 'users:admin'])
  t.not(user.passwordHash, PASSWORD)
  t.equal(await hasher.verify(PASSWORD, user.passwordHash), true)
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
  await t.rejects(users.changePassword(user, 'current', 'wrong-password-1', 'New-Orbit-Lamp-77'), { code: 'access_denied', statusCode: 403 })
  await t.rejects(users.changePassword(user, 'current', PASSWORD, 'password1'), { code: 'invalid_request', statusCode: 400, message: /too common/ })
  t.equal(await users.changePassword(user, 'current', PASSWORD, 'New-Orbit-Lamp-77'), 1)
  t.same((await store.sessions.listForUser(user.id)).map(s => s.id), ['current'])
  const stored = await users.get('alice')
  t.equal(await hasher.verify('New-Orbit-Lamp-77', stored.passwordHash), true)
  t.equal(await hasher.verify(PASSWORD, stored.passwordHash), false)
})

t.test('setPassword (CLI) applies the policy and revokes every session', async t => {
  const { users, store, hasher } = await setup(t)
  const user = await users.register({ username: 'alice', password: PASSWORD })
  await sessionFor(store, user.id, 's1')
  await t.rejects(users.setPassword('alice', 'alice'), { code: 'invalid_request', statusCode: 400 })
  await users.setPassword('alice', 'New-Orbit-Lamp-77')
  t.same(await store.sessions.listForUser(user.id), [])
  t.equal(await hasher.verify('New-Orbit-Lamp-77', (await users.get('alice')).passwordHash), true)
})

t.test('every way of setting a password refuses one that contains the username', async t => {
  const { users } = await setup(t)
  const refusal = { code: 'invalid_request', statusCode: 400, message: 'Password must not contain the username' }
  await t.rejects(users.register({ username: 'Marguerite', password: 'xMarguerite-42' }), refusal, 'register (POST /users, CLI user add)')
  const user = await users.register({ username: 'marguerite', password: PASSWORD })
  await t.rejects(users.changePassword(user, undefined, PASSWORD, 'Orbit-MARGUERITE-7'), refusal, 'changePassword (PUT /users/me/password)')
  await t.rejects(users.setPassword('MARGUERITE', 'new-marguerite-pass'), refusal, 'setPassword (CLI user password)')
  t.ok(await users.register({ username: 'amy', password: 'Amy-Lamp-Orbit-42' }), 'a 3-character username may appear inside a password')
})
