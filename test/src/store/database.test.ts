import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { sql } from 'kysely'
import t from 'tap'
import { migrationProvider } from '../../../src/store/migrations.js'
import { openStore } from '../../../src/store/store.js'
import { tempDir } from '../../helper.js'

t.test('SQLite: stores opened at once on a fresh file migrate it once', async t => {
  const dataDir = tempDir(t)
  const stores = await Promise.all([1, 2, 3].map(async () => await openStore({ databaseUrl: undefined, dataDir, poolSize: 1 })))
  t.teardown(async () => { for (const store of stores) await store.close() })
  const [first] = stores
  const { rows: migrations } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(first!.handle.db)
  const expected = Object.keys(await migrationProvider('sqlite').getMigrations()).sort()
  t.same(migrations.map(m => m.name), expected, 'each migration recorded once')
  for (const store of stores) t.equal((await store.users.list({ limit: 1 })).length, 0, 'every store works')
  const { rows } = await sql<{ timeout: number }>`pragma busy_timeout`.execute(first!.handle.db)
  t.equal(rows[0]?.timeout, 5000, 'busy_timeout is restored after the migration')
})

t.test('SQLite: reopening a migrated file applies nothing new', async t => {
  const dataDir = tempDir(t)
  const first = await openStore({ databaseUrl: undefined, dataDir, poolSize: 1 })
  await first.close()
  const second = await openStore({ databaseUrl: undefined, dataDir, poolSize: 1 })
  t.teardown(async () => { await second.close() })
  const { rows } = await sql<{ n: number }>`select count(*) as n from kysely_migration`.execute(second.handle.db)
  t.equal(Number(rows[0]?.n), Object.keys(await migrationProvider('sqlite').getMigrations()).length)
})

t.test('SQLite: the default data folder is created, a folder named in a sqlite: URL is not', async t => {
  const root = tempDir(t)
  const dataDir = join(root, 'data', 'nested')
  const made = await openStore({ databaseUrl: undefined, dataDir, poolSize: 1 })
  await made.close()
  t.ok(existsSync(join(dataDir, 'gatehouse.sqlite')), 'DATA_DIR is created for the default store')

  for (const url of [`sqlite:${root}/a.sqlite`, `sqlite://${root}/b.sqlite`, `sqlite:///${root.replace(/^\//, '')}/c.sqlite`]) {
    const store = await openStore({ databaseUrl: url, dataDir: '/nonexistent', poolSize: 1 })
    await store.close()
  }
  t.ok(['a', 'b', 'c'].every(name => existsSync(join(root, `${name}.sqlite`))), 'sqlite:/path, sqlite:///path and sqlite://path name the file')

  const missing = join(root, 'missing')
  await t.rejects(openStore({ databaseUrl: `sqlite:${missing}/x.sqlite`, dataDir: '/nonexistent', poolSize: 1 }), 'a missing folder is an error')
  t.notOk(existsSync(missing), 'and is not created')
})
