import { LoginThrottle } from '../../../src/auth/login-throttle.js'
import { createMemoryCounters } from '../../../src/auth/memory-counters.js'
import { UsernameTakenError } from '../../../src/store/users-repository.js'
import { createUserService } from '../../../src/users/user-service.js'
import type { NewUser } from '../../../src/store/user.js'
import { PASSWORD } from '../../helper.js'
import { cheapHasher, eachDialect } from './dialects.js'

const throttle = () => new LoginThrottle(createMemoryCounters(), { maxFailuresPerUser: 10, maxFailuresPerIp: 100, windowSeconds: 60, maxLockoutSeconds: 60 })

const newUser = (username: string, extra: Partial<NewUser> = {}): NewUser => ({
  username, email: null, fullName: null, passwordHash: '$2b$04$' + 'x'.repeat(53), disabled: false, scopes: [], ...extra
})

eachDialect('users: create, find, update, set password, delete', async (t, store) => {
  const created = await store.users.create(newUser('alice', { email: 'a@example.test', fullName: 'Alice A', scopes: ['reports:read', 'users:admin'] }))
  t.equal(typeof created.id, 'number')
  t.match(created, { username: 'alice', email: 'a@example.test', fullName: 'Alice A', disabled: false, scopes: ['reports:read', 'users:admin'] })
  t.equal(typeof created.createdAt, 'number', 'bigint columns come back as numbers')
  t.same(await store.users.findByUsername('alice'), created)
  t.equal(await store.users.findByUsername('nobody'), undefined)

  const updated = await store.users.update('alice', { disabled: true, scopes: [], email: null, fullName: 'Alice B' })
  t.match(updated, { id: created.id, disabled: true, scopes: [], email: null, fullName: 'Alice B' })
  t.equal(await store.users.update('nobody', { disabled: true }), undefined)

  await store.users.setPasswordHash(created.id, '$2b$04$' + 'y'.repeat(53))
  t.equal((await store.users.findByUsername('alice'))?.passwordHash, '$2b$04$' + 'y'.repeat(53))

  t.equal(created.lockoutGeneration, 0)
  t.equal(await store.users.resetLockout('alice'), true)
  t.equal(await store.users.resetLockout('nobody'), false)
  await store.users.setPasswordHash(created.id, '$2b$04$' + 'z'.repeat(53), { resetLockout: true })
  t.equal((await store.users.findByUsername('alice'))?.lockoutGeneration, 2, 'an unlock and an admin reset each bump the lockout generation')
  await store.users.setPasswordHash(created.id, '$2b$04$' + 'y'.repeat(53))
  t.equal((await store.users.findByUsername('alice'))?.lockoutGeneration, 2, 'a rehash does not')

  t.equal(await store.users.delete('alice'), true)
  t.equal(await store.users.delete('alice'), false)
  t.equal(await store.users.findByUsername('alice'), undefined)
})

eachDialect('users: a taken username is refused by the database itself', async (t, store) => {
  await store.users.create(newUser('bob'))
  await t.rejects(store.users.create(newUser('bob')), UsernameTakenError)
  // Two inserts racing past any application-level check: exactly one wins.
  const results = await Promise.allSettled([store.users.create(newUser('carol')), store.users.create(newUser('carol'))])
  t.same(results.map(r => r.status).sort(), ['fulfilled', 'rejected'])
  const failure = results.find(r => r.status === 'rejected')
  t.ok(failure?.status === 'rejected' && failure.reason instanceof UsernameTakenError)
})

eachDialect('users: usernames are unique case-insensitively (stored canonical)', async (t, store) => {
  const users = createUserService({ store, hasher: await cheapHasher(), throttle: throttle() })
  const alice = await users.register({ username: 'Alice', password: PASSWORD })
  t.equal(alice.username, 'alice')
  await t.rejects(users.register({ username: 'ALICE', password: PASSWORD }), { code: 'conflict', statusCode: 409 })
  await t.rejects(users.register({ username: 'ａｌｉｃｅ', password: PASSWORD }), { code: 'conflict' }, 'full-width letters fold to the same name (NFKC)')
  t.equal((await users.get('ALICE')).id, alice.id)
})

eachDialect('users: keyset pagination visits every user once, in byte order', async (t, store) => {
  const names = ['a-b', 'a.c', 'a_a', 'ab', 'a@z', 'a+b', 'aa', 'zed', 'mid', 'b0']
  for (const name of names) await store.users.create(newUser(name))
  const seen: string[] = []
  let after: string | undefined
  for (let page = 0; page < 10; page++) {
    const users = await store.users.list({ after, limit: 3 })
    t.ok(users.length <= 3)
    seen.push(...users.map(u => u.username))
    if (users.length < 3) break
    after = users[users.length - 1]?.username
  }
  t.same(seen, [...names].sort(), 'ordered like a byte-wise sort, no gaps or repeats')

  const service = createUserService({ store, hasher: await cheapHasher(), throttle: throttle() })
  const first = await service.list({ limit: 4 })
  t.equal(first.users.length, 4)
  t.equal(first.nextCursor, first.users[3]?.username)
  const last = await service.list({ after: 'mid', limit: 4 })
  t.same(last.users.map(u => u.username), ['zed'])
  t.equal(last.nextCursor, null)
})
