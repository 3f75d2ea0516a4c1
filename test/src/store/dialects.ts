import t, { type Test } from 'tap'
import { createPasswordHasher, type PasswordHasher } from '../../../src/passwords/password-hasher.js'
import { openStore, type Store } from '../../../src/store/store.js'
import { tempDir } from '../../helper.js'
import { postgresSchema } from './postgres-schema.js'

export type DialectName = 'sqlite' | 'postgres'
export const DIALECTS: DialectName[] = ['sqlite', 'postgres']

export type { Test } from 'tap'

/** A migrated, empty store: a fresh SQLite file, or a fresh schema on the shared PostgreSQL. */
export async function openTestStore (t: Test, dialect: DialectName): Promise<Store | undefined> {
  const dataDir = tempDir(t)
  let databaseUrl: string | undefined
  if (dialect === 'postgres') {
    const pg = await postgresSchema(t)
    if (pg === undefined) return undefined
    databaseUrl = pg.url
  }
  // The embedded store runs as in production: its Bearer lookup cached (see sqlite-changes.ts).
  const store = await openStore({ databaseUrl, dataDir, poolSize: 4, sessionCacheSize: 1000 })
  t.teardown(store.close)
  return store
}

/** Runs the same test once per dialect, as "<name> [sqlite]" and "<name> [postgres]". */
export function eachDialect (name: string, fn: (t: Test, store: Store, dialect: DialectName) => Promise<void>): void {
  for (const dialect of DIALECTS) {
    t.test(`${name} [${dialect}]`, async t => {
      const store = await openTestStore(t, dialect)
      if (store !== undefined) await fn(t, store, dialect)
    })
  }
}

/** bcrypt at its minimum cost: the store tests are about rows, not hashing. */
export async function cheapHasher (): Promise<PasswordHasher> {
  return await createPasswordHasher({ cost: 4, concurrency: 2, queueMax: 100, queueTimeoutMs: 10_000 })
}
