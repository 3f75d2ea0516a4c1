import { join } from 'node:path'
import { setImmediate as nextTurn } from 'node:timers/promises'
import t from 'tap'
import { openStore } from '../../../src/store/store.js'
import { SQLiteDatabase as SQLite } from '../../../src/store/sqlite-driver.js'
import { tempDir } from '../../helper.js'

// Another process's commits to the embedded database (src/store/sqlite-changes.ts)
// are noticed from the next event-loop turn; this process's own writes are not
// its business (the repositories forget what they touch).

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

t.test("this process's own writes are not another process's commit", async t => {
  const { store, changes } = await embeddedStore(t)
  await nextTurn()
  await store.users.create(newUser('alice'))
  await store.users.update('alice', { disabled: true })
  await nextTurn()
  t.equal(changes.otherProcessCommitted(), false)
})

t.test("another connection's commit is seen from the next event-loop turn, once", async t => {
  const { store, changes, file } = await embeddedStore(t)
  await store.users.create(newUser('bob'))
  await nextTurn()
  t.equal(changes.otherProcessCommitted(), false)

  const other = new SQLite(file) // as the CLI or a second process would open it
  t.teardown(() => other.close())
  other.prepare('update users set disabled = 1 where username = ?').run('bob')
  t.equal(changes.otherProcessCommitted(), false, 'within the turn of the last check the commit is not yet looked for')
  await nextTurn()
  t.equal(changes.otherProcessCommitted(), true, 'the next turn reads data_version and sees it')
  await nextTurn()
  t.equal(changes.otherProcessCommitted(), false, 'no further commit')
})
