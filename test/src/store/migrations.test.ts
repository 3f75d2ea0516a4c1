import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import t from 'tap'
import { openStore } from '../../../src/store/store.js'
import { spawnChild } from '../../child-process.js'
import { tempDir } from '../../helper.js'
import { postgresSchema, tablesIn } from './postgres-schema.js'

const MIGRATIONS = ['001_users', '002_sessions', '003_username_byte_order', '004_lockout_generation', '005_session_notifications', '006_clients', '007_mail_outbox', '008_account_tokens', '009_users_email_index', '010_mfa']
const EXPECTED_TABLES = ['account_tokens', 'clients', 'kysely_migration', 'kysely_migration_lock', 'mail_outbox', 'mfa_challenges', 'mfa_recovery_codes', 'mfa_totp', 'refresh_tokens', 'sessions', 'users']

t.test('two instances migrating one fresh PostgreSQL schema at once both succeed, with one set of tables', async t => {
  const pg = await postgresSchema(t)
  if (pg === undefined) return
  const options = { databaseUrl: pg.url, dataDir: tempDir(t), poolSize: 2 }
  const results = await Promise.allSettled([openStore(options), openStore(options)])
  for (const result of results) if (result.status === 'fulfilled') t.teardown(result.value.close)
  t.same(results.map(r => r.status), ['fulfilled', 'fulfilled'], results.map(r => r.status === 'rejected' ? String(r.reason) : 'ok').join('; '))
  t.same(await tablesIn(pg.schema), EXPECTED_TABLES)
  const [first] = results
  if (first?.status !== 'fulfilled') return
  const applied = await first.value.handle.db.selectFrom('kysely_migration' as never).select('name' as never).execute()
  t.same(applied.map(r => (r as { name: string }).name), MIGRATIONS, 'each migration recorded once')
})

t.test('a schema is migrated even when another schema of the database already has migration tables', async t => {
  const first = await postgresSchema(t)
  const second = await postgresSchema(t)
  if (first === undefined || second === undefined) return
  const dataDir = tempDir(t)
  const a = await openStore({ databaseUrl: first.url, dataDir, poolSize: 1 })
  t.teardown(a.close)
  const b = await openStore({ databaseUrl: second.url, dataDir, poolSize: 1 })
  t.teardown(b.close)
  t.same(await tablesIn(second.schema), EXPECTED_TABLES)
})

t.test('two processes migrating one fresh SQLite file at once both succeed', async t => {
  // In one process better-sqlite3 waits synchronously for the file lock, so
  // this needs two real processes, as in production (service + CLI).
  const dataDir = tempDir(t)
  const storeModule = pathToFileURL(join(import.meta.dirname, '../../../src/store/store.ts')).href
  const script = `const { openStore } = await import(${JSON.stringify(storeModule)});
const store = await openStore({ databaseUrl: undefined, dataDir: ${JSON.stringify(dataDir)}, poolSize: 1 });
await store.close(); console.log('migrated')`
  const run = async () => {
    const migrating = spawnChild(t, process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: join(import.meta.dirname, '../../..') })
    const code = await migrating.exited
    return code === 0 ? migrating.stdout().trim() : `exit ${code}: ${migrating.stderr()}`
  }
  t.same(await Promise.all([run(), run()]), ['migrated', 'migrated'])
  const store = await openStore({ databaseUrl: undefined, dataDir, poolSize: 1 })
  t.teardown(store.close)
  const applied = await store.handle.db.selectFrom('kysely_migration' as never).select('name' as never).execute()
  t.same(applied.map(r => (r as { name: string }).name), MIGRATIONS, 'each migration recorded once')
})
