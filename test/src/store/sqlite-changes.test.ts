import { join } from 'node:path'
import { setImmediate as nextTurn } from 'node:timers/promises'
import SQLite from 'better-sqlite3'
import t from 'tap'
import { openStore } from '../../../src/store/store.js'
import { tempDir } from '../../helper.js'

// The invalidation rule of the cached Bearer lookup on the embedded store
// (src/store/sqlite-changes.ts): this process's writes are seen at once,
// another process's commits from the next event-loop turn on.

async function embeddedStore (t: Parameters<typeof tempDir>[0]) {
  const dataDir = tempDir(t)
  const store = await openStore({ databaseUrl: undefined, dataDir, poolSize: 1, sessionCacheSize: 100 })
  t.teardown(store.close)
  const changes = store.handle.changes
  if (changes === undefined) throw new Error('the embedded store tracks its changes')
  return { store, changes, file: join(dataDir, 'gatehouse.sqlite') }
}

const newUser = (username: string) => ({
  username, email: null, fullName: null, passwordHash: '$2b$04$' + 'x'.repeat(53), disabled: false, scopes: []
})

t.test('reads leave the generation alone; every write of this process moves it at once', async t => {
  const { store, changes } = await embeddedStore(t)
  const start = changes.generation()
  await store.users.findByUsername('nobody')
  await store.users.list({ limit: 10 })
  t.equal(changes.generation(), start, 'reads')

  await store.users.create(newUser('alice'))
  const afterInsert = changes.generation()
  t.ok(afterInsert > start, 'an insert')
  await store.users.update('alice', { disabled: true })
  t.ok(changes.generation() > afterInsert, 'an update, in the same event-loop turn')

  const beforeNoop = changes.generation()
  t.equal(await store.users.update('nobody', { disabled: true }), undefined)
  t.ok(changes.generation() > beforeNoop, 'even a write that matched no row (it cannot be told from one that did, cheaply)')
})

t.test('a transaction that rolls back still moves the generation', async t => {
  const { store, changes } = await embeddedStore(t)
  const before = changes.generation()
  await t.rejects(store.handle.db.transaction().execute(async trx => {
    await trx.insertInto('users').values({
      username: 'rolled', email: null, full_name: null, password_hash: 'x', disabled: 0, scopes: '', created_at: 1, updated_at: 1
    } as never).execute()
    throw new Error('abort')
  }), /abort/)
  t.ok(changes.generation() > before)
  t.equal(await store.users.findByUsername('rolled'), undefined)
})

t.test("another connection's commit is seen from the next event-loop turn", async t => {
  const { store, changes, file } = await embeddedStore(t)
  await store.users.create(newUser('bob'))
  await nextTurn()
  const before = changes.generation()

  const other = new SQLite(file) // as the CLI or a second process would open it
  t.teardown(() => other.close())
  other.prepare('update users set disabled = 1 where username = ?').run('bob')
  t.equal(changes.generation(), before, 'within the turn of the last check the commit is not yet looked for')
  await nextTurn()
  t.ok(changes.generation() > before, 'the next turn reads data_version and sees it')
  const seen = changes.generation()
  await nextTurn()
  t.equal(changes.generation(), seen, 'no further commit: the generation stays')
})
