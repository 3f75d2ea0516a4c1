import { dirname } from 'node:path'
import { SQLiteDatabase as SQLite } from '../../../src/store/sqlite-driver.js'
import { sql } from 'kysely'
import t, { type Test } from 'tap'
import { openStore, type Store } from '../../../src/store/store.js'
import { createUsersRepository } from '../../../src/store/users-repository.js'
import { isStoreUnavailable } from '../../../src/store/unavailable.js'
import { tempDir } from '../../helper.js'

const newUser = (username: string) => ({ username, email: null, fullName: 'x'.repeat(2000), passwordHash: 'hash', disabled: false, scopes: [] })

async function caught (operation: () => unknown): Promise<unknown> {
  try {
    await operation()
  } catch (err) {
    return err
  }
  throw new Error('expected an error')
}

async function sqliteStore (t: Test): Promise<Store> {
  const store = await openStore({ databaseUrl: undefined, dataDir: tempDir(t), poolSize: 1 })
  t.teardown(async () => { await store.close() })
  return store
}

t.test('SQLite full (max_page_count reached): writes, transactions and the readiness probe fail as unavailable; reads work', async t => {
  const store = await sqliteStore(t)
  const sqlite = store.handle.sqlite!
  await store.users.create(newUser('alice'))
  sqlite.pragma(`max_page_count = ${Number(sqlite.pragma('page_count', { simple: true }))}`)

  const write = await caught(async () => { for (let i = 0; i < 100; i++) await store.users.create(newUser(`user${i}`)) })
  t.match(write, { code: 'SQLITE_FULL' })
  t.ok(isStoreUnavailable(write), 'a write on a full database is unavailable, not a bug')
  const transaction = await caught(async () => {
    await store.handle.db.transaction().execute(async trx => {
      const users = createUsersRepository(trx)
      for (let i = 0; i < 100; i++) await users.create(newUser(`t${i}`))
    })
  })
  t.match(transaction, { code: 'SQLITE_FULL' }, 'a transaction that fails on a full database reports SQLITE_FULL')
  t.ok(isStoreUnavailable(transaction))
  t.equal((await store.users.findByUsername('alice'))?.username, 'alice', 'reads still work')
  t.equal(sqlite.inTransaction, false, 'no transaction is left open')
})

t.test('SQLite read-only file or filesystem, and a file that cannot be opened: unavailable', async t => {
  const store = await sqliteStore(t)
  const file = store.location
  const readOnly = new SQLite(file, { readonly: true })
  t.teardown(() => { readOnly.close() })
  const err = await caught(() => readOnly.prepare("insert into users (username, password_hash, scopes, disabled) values ('bob', 'h', '', 0)").run())
  t.match(err, { code: /^SQLITE_READONLY/ })
  t.ok(isStoreUnavailable(err))
  const cantOpen = await caught(() => new SQLite(dirname(file))) // a directory where the file should be
  t.match(cantOpen, { code: /^SQLITE_CANTOPEN/ })
  t.ok(isStoreUnavailable(cantOpen))
  for (const code of ['SQLITE_IOERR', 'SQLITE_IOERR_WRITE', 'SQLITE_IOERR_FSYNC', 'SQLITE_READONLY_DBMOVED', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_FULL']) {
    t.ok(isStoreUnavailable({ code, message: 'x' }), code)
  }
})

t.test('readiness on SQLite checks that the file can be written, not only read', async t => {
  const store = await sqliteStore(t)
  await store.ping()
  const second = await openStore({ databaseUrl: `sqlite://${store.location}`, dataDir: '/nonexistent', poolSize: 1 })
  t.teardown(async () => { await second.close() })
  // The first connection holds the write lock: the second can read, but its probe cannot write.
  await sql`begin immediate`.execute(store.handle.db)
  second.handle.sqlite!.pragma('busy_timeout = 0')
  const busy = await caught(async () => { await second.ping() })
  t.match(busy, { code: /^SQLITE_BUSY/ }, 'the probe needs the write lock')
  t.ok(isStoreUnavailable(busy))
  await sql`rollback`.execute(store.handle.db)
  await second.ping()
})

t.test('bugs and refusals are not outages', async t => {
  for (const code of ['SQLITE_ERROR', 'SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CORRUPT', 'SQLITE_MISUSE', '23505', '42P01', '22021']) {
    t.notOk(isStoreUnavailable({ code, message: 'x' }), code)
  }
  t.notOk(isStoreUnavailable(new Error('cannot rollback - no transaction is active')))
})

t.test('PostgreSQL: shutdown, connection, resource, I/O and read-only-standby errors are outages', async t => {
  for (const code of ['57P01', '57P02', '57P03', '08006', '08001', '53100', '53300', '58030', '25006', 'ECONNREFUSED']) {
    t.ok(isStoreUnavailable({ code, message: 'x' }), code)
  }
  t.ok(isStoreUnavailable(new Error('Connection terminated unexpectedly')))
})
