import { join } from 'node:path'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { SQLiteDatabase as SQLite } from '../../../src/store/sqlite-driver.js'
import t from 'tap'
import type { Session } from '../../../src/sessions/session.js'
import { openStore } from '../../../src/store/store.js'
import { newRefreshToken, newSessionId } from '../../../src/tokens/refresh-tokens.js'
import { tempDir } from '../../helper.js'
import { sessionFixture } from './session-fixture.js'

// The cached Bearer lookup on the embedded store must never outlive a change:
// revocations, user changes and deletions through this process are seen at
// once, and those made by another process from the next event-loop turn. A
// write of this process drops only what it touched: an entry that is still
// served is the very same (frozen) object, so identity proves no reload.

const NOW = 1_750_000_000_000

const newUser = (username: string) => ({
  username, email: null, fullName: null, passwordHash: '$2b$04$' + 'x'.repeat(53), disabled: false, scopes: ['a', 'b']
})

const sessionOf = (userId: number): Session => sessionFixture(userId, NOW)

async function storeWithSession (t: Parameters<typeof tempDir>[0], sessionCacheSize = 100) {
  const dataDir = tempDir(t)
  const store = await openStore({ databaseUrl: undefined, dataDir, poolSize: 1, sessionCacheSize })
  t.teardown(store.close)
  const user = await store.users.create(newUser('alice'))
  const session = sessionOf(user.id)
  await store.sessions.create(session, newRefreshToken().hash)
  return { store, session, file: join(dataDir, 'gatehouse.sqlite') }
}

t.test('repeated lookups are served from the cache, as frozen objects', async t => {
  const { store, session } = await storeWithSession(t)
  const first = await store.sessions.findWithUser(session.id)
  const second = await store.sessions.findWithUser(session.id)
  t.equal(second, first, 'the same object: no second read')
  t.ok(Object.isFrozen(first) && Object.isFrozen(first?.session) && Object.isFrozen(first?.user) && Object.isFrozen(first?.user.scopes))
  t.throws(() => { (first?.user.scopes as string[]).push('admin') }, 'a request cannot change what the next one sees')
})

t.test('every write through this process is seen by the very next lookup', async t => {
  const { store, session } = await storeWithSession(t)
  await store.sessions.findWithUser(session.id)

  await store.users.update('alice', { scopes: ['b'] })
  t.same((await store.sessions.findWithUser(session.id))?.user.scopes, ['b'], 'user scopes changed')
  await store.users.update('alice', { disabled: true })
  t.equal((await store.sessions.findWithUser(session.id))?.user.disabled, true, 'user disabled')
  await store.sessions.revoke(session.id, NOW + 1)
  t.equal((await store.sessions.findWithUser(session.id))?.session.revokedAt, NOW + 1, 'session revoked')
  await store.users.delete('alice')
  t.equal(await store.sessions.findWithUser(session.id), undefined, 'user deleted')
})

t.test('a refresh rotation (last used moves) is seen at once', async t => {
  const { store, session } = await storeWithSession(t)
  const refresh = newRefreshToken()
  const id = newSessionId()
  await store.sessions.create({ ...session, id }, refresh.hash)
  t.equal((await store.sessions.findWithUser(id))?.session.lastUsedAt, NOW)
  const rotated = await store.sessions.rotate(refresh.hash, newRefreshToken().hash, () => true, NOW + 5000)
  t.equal(rotated.kind, 'rotated')
  t.equal((await store.sessions.findWithUser(id))?.session.lastUsedAt, NOW + 5000)
})

t.test("another process's revocation is seen from the next event-loop turn", async t => {
  const { store, session, file } = await storeWithSession(t)
  t.equal((await store.sessions.findWithUser(session.id))?.session.revokedAt, null)
  await nextTurn()
  t.equal((await store.sessions.findWithUser(session.id))?.session.revokedAt, null, 'cached')

  const cli = new SQLite(file)
  t.teardown(() => cli.close())
  cli.prepare('update sessions set revoked_at = ? where id = ?').run(NOW + 9, session.id)
  await nextTurn()
  t.equal((await store.sessions.findWithUser(session.id))?.session.revokedAt, NOW + 9)
})

t.test("a refresh or a revocation drops that session's entry only; a user change drops that user's entries only", async t => {
  const { store, session } = await storeWithSession(t)
  const bob = await store.users.create(newUser('bob'))
  const refresh = newRefreshToken()
  const alice2 = { ...sessionOf(session.userId), id: newSessionId() }
  await store.sessions.create(alice2, refresh.hash)
  const bob1 = sessionOf(bob.id)
  await store.sessions.create(bob1, newRefreshToken().hash)
  const ids = [session.id, alice2.id, bob1.id]
  const cached = async () => await Promise.all(ids.map(async id => await store.sessions.findWithUser(id)))
  const [a1, a2, b1] = await cached()

  t.equal((await store.sessions.rotate(refresh.hash, newRefreshToken().hash, () => true, NOW + 1)).kind, 'rotated')
  let now = await cached()
  t.equal(now[0], a1, 'another session of the same user: still cached')
  t.not(now[1], a2, 'the rotated session: read again')
  t.equal(now[1]?.session.lastUsedAt, NOW + 1)
  t.equal(now[2], b1, "another user's session: still cached")
  const a2AfterRefresh = now[1]

  await store.sessions.revoke(session.id, NOW + 2)
  now = await cached()
  t.not(now[0], a1)
  t.equal(now[0]?.session.revokedAt, NOW + 2)
  t.equal(now[1], a2AfterRefresh)
  t.equal(now[2], b1)
  const a1AfterRevoke = now[0]

  await store.users.update('bob', { scopes: ['b'] })
  now = await cached()
  t.equal(now[0], a1AfterRevoke, "alice's entries stay when bob changes")
  t.equal(now[1], a2AfterRefresh)
  t.same(now[2]?.user.scopes, ['b'])

  await store.sessions.revokeAllForUser(session.userId, NOW + 3)
  now = await cached()
  t.equal(now[1]?.session.revokedAt, NOW + 3, "revoking all of alice's sessions drops her entries")
  t.equal(now[2]?.user.scopes[0], 'b')
})

t.test("another process's commit drops every entry, touched or not", async t => {
  const { store, session, file } = await storeWithSession(t)
  const first = await store.sessions.findWithUser(session.id)
  await nextTurn()
  t.equal(await store.sessions.findWithUser(session.id), first)
  const cli = new SQLite(file)
  t.teardown(() => cli.close())
  cli.prepare("insert into users (username, password_hash, scopes, disabled, created_at, updated_at) values ('carol', 'h', '', 0, 1, 1)").run()
  await nextTurn()
  const after = await store.sessions.findWithUser(session.id)
  t.not(after, first, 'read again, although the commit touched another row')
  t.same(after, first)
})

t.test('AUTH_CACHE_SIZE=0: every lookup reads the database', async t => {
  const { store, session } = await storeWithSession(t, 0)
  const first = await store.sessions.findWithUser(session.id)
  const second = await store.sessions.findWithUser(session.id)
  t.not(second, first)
  t.same(second, first)
})
