import pg from 'pg'
import t from 'tap'
import type { Session } from '../../../src/sessions/session.js'
import { LISTENER_APPLICATION_NAME } from '../../../src/store/session-notifications.js'
import { openStore } from '../../../src/store/store.js'
import { newRefreshToken } from '../../../src/tokens/refresh-tokens.js'
import { tempDir } from '../../helper.js'
import { postgresSchemaWithRole } from './postgres-schema.js'
import { sessionFixture } from './session-fixture.js'

// The PostgreSQL session cache (POSTGRES_SESSION_CACHE) hears every change
// through the triggers of migration 005 and its listening connection; while
// that connection is lost the cache is off. The store connects as a role of
// its own, so that the test can keep the listener out (NOLOGIN) for as long
// as it needs: the connections the pool already holds keep working.
// Waits poll with a bounded deadline; nothing here asserts a duration.

const NOW = 1_750_000_000_000
const HASH = '$2b$04$' + 'x'.repeat(53)

async function until (what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!await probe()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

const sessionOf = (userId: number): Session => sessionFixture(userId, NOW)

async function setUp (t: Parameters<typeof tempDir>[0]) {
  const pgs = await postgresSchemaWithRole(t)
  if (pgs === undefined) return undefined
  const { role } = pgs
  const admin = new pg.Client({ connectionString: pgs.adminUrl })
  await admin.connect()
  t.teardown(async () => { await admin.end() })
  const told: boolean[] = []
  const store = await openStore({
    databaseUrl: pgs.url,
    dataDir: tempDir(t),
    poolSize: 2,
    sessionCacheSize: 100,
    postgresSessionCache: true,
    onSessionCacheListening: (listening) => { told.push(listening) }
  })
  const notifications = store.sessionNotifications
  const cache = store.sessionCache
  if (notifications === undefined || cache === undefined) throw new Error('the session cache is on')
  await until('the listener', () => notifications.listening)

  const alice = await store.users.create({ username: 'alice', email: null, fullName: null, passwordHash: HASH, disabled: false, scopes: ['a'] })
  const bob = await store.users.create({ username: 'bob', email: null, fullName: null, passwordHash: HASH, disabled: false, scopes: ['a'] })
  const a1 = sessionOf(alice.id)
  const b1 = sessionOf(bob.id)
  await store.sessions.create(a1, newRefreshToken().hash)
  await store.sessions.create(b1, newRefreshToken().hash)
  return { store, admin, role, told, notifications, cache, a1: a1.id, b1: b1.id }
}

t.test('a change made by another connection (manual SQL) reaches the cache: that session, that user, nothing else', async t => {
  const world = await setUp(t)
  if (world === undefined) return
  const { store, admin, a1, b1 } = world
  try {
    const cachedB = await store.sessions.findWithUser(b1)
    t.equal(await store.sessions.findWithUser(b1), cachedB, 'cached')
    await store.sessions.findWithUser(a1)

    await admin.query('update sessions set revoked_at = $1 where id = $2', [NOW + 5, a1])
    await until('the revocation to arrive', async () => (await store.sessions.findWithUser(a1))?.session.revokedAt === NOW + 5)
    t.equal(await store.sessions.findWithUser(b1), cachedB, "another user's session stayed cached")

    await admin.query("update users set scopes = 'b' where username = 'bob'")
    await until('the user change to arrive', async () => (await store.sessions.findWithUser(b1))?.user.scopes[0] === 'b')

    await admin.query("delete from users where username = 'bob'")
    await until('the deletion to arrive', async () => await store.sessions.findWithUser(b1) === undefined)
    t.pass('changes by another writer are seen')
  } finally {
    await store.close()
  }
})

t.test('a write through this store is seen at once, before any notification', async t => {
  const world = await setUp(t)
  if (world === undefined) return
  const { store, a1 } = world
  try {
    await store.sessions.findWithUser(a1)
    await store.sessions.revoke(a1, NOW + 9)
    t.equal((await store.sessions.findWithUser(a1))?.session.revokedAt, NOW + 9)
  } finally {
    await store.close()
  }
})

t.test('the listening connection killed: cache dropped, strict reads, changes seen, cache back once LISTEN is', async t => {
  const world = await setUp(t)
  if (world === undefined) return
  const { store, admin, role, told, notifications, cache, a1, b1 } = world
  try {
    const cachedA = await store.sessions.findWithUser(a1)
    t.equal(await store.sessions.findWithUser(a1), cachedA, 'cached while listening')

    await admin.query(`alter role ${role} nologin`) // the listener cannot come back until allowed again
    const killed = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1 and usename = $2',
      [LISTENER_APPLICATION_NAME, role])
    t.equal(killed.rowCount, 1, 'one listening connection')
    await until('the loss to be noticed', () => cache.suspended)
    t.equal(notifications.listening, false)
    t.equal(cache.size, 0, 'dropped wholesale')

    const first = await store.sessions.findWithUser(b1)
    t.not(await store.sessions.findWithUser(b1), first, 'strict: every lookup reads the database')
    await admin.query('update sessions set revoked_at = $1 where id = $2', [NOW + 7, a1])
    t.equal((await store.sessions.findWithUser(a1))?.session.revokedAt, NOW + 7, 'a change made during the outage is seen at once')
    await new Promise(resolve => setTimeout(resolve, 300)) // a few reconnection attempts, all refused
    t.equal(cache.suspended, true, 'still off while it cannot listen')

    await admin.query(`alter role ${role} login`)
    await until('the listener to come back', () => notifications.listening)
    t.equal(cache.suspended, false)
    const again = await store.sessions.findWithUser(b1)
    t.equal(await store.sessions.findWithUser(b1), again, 'cached again')
    t.same(told, [true, false, true], 'told once per outage, whatever the number of failed attempts')

    await admin.query('update sessions set revoked_at = $1 where id = $2', [NOW + 8, b1])
    await until('a change after the reconnection to arrive', async () => (await store.sessions.findWithUser(b1))?.session.revokedAt === NOW + 8)
  } finally {
    await store.close()
  }
})
