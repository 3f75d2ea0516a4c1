import { mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import SQLite from 'better-sqlite3'
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { migrationProvider, type Dialect } from './migrations.js'
import type { Database } from './schema.js'
import { LockingSqliteDialect } from './sqlite-migration-lock.js'

export interface DatabaseHandle {
  db: Kysely<Database>
  dialect: Dialect
  /** A human-readable location for logs, without credentials. */
  location: string
  pool: pg.Pool | undefined
  close: () => Promise<void>
}

export interface DatabaseOptions {
  databaseUrl: string | undefined
  dataDir: string
  poolSize: number
}

const INT8_OID = 20

function openSqlite (file: string): DatabaseHandle {
  mkdirSync(dirname(file), { recursive: true })
  const sqlite = new SQLite(file)
  // WAL lets readers run during a write; NORMAL sync keeps every committed
  // transaction across a process crash (only an OS crash could lose the last ones).
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = NORMAL')
  sqlite.pragma('foreign_keys = ON')
  sqlite.pragma('busy_timeout = 5000')
  const db = new Kysely<Database>({ dialect: new LockingSqliteDialect({ database: sqlite }) })
  return { db, dialect: 'sqlite', location: file, pool: undefined, close: async () => { await db.destroy() } }
}

function openPostgres (url: string, poolSize: number): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // Bounded waits so that a database outage turns into a fast 503, not a hang.
    connectionTimeoutMillis: 3000,
    query_timeout: 5000,
    idleTimeoutMillis: 30000,
    types: {
      getTypeParser: (oid: number, format?: any) =>
        oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)
    } as any
  })
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {})
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  const parsed = new URL(url)
  return { db, dialect: 'postgres', location: `${parsed.host}${parsed.pathname}`, pool, close: async () => { await db.destroy() } }
}

export function openDatabase (options: DatabaseOptions): DatabaseHandle {
  const url = options.databaseUrl
  if (url === undefined) return openSqlite(resolve(join(options.dataDir, 'gatehouse.sqlite')))
  if (url.startsWith('sqlite://')) return openSqlite(resolve(url.slice('sqlite://'.length)))
  return openPostgres(url, options.poolSize)
}

export async function migrateToLatest (handle: DatabaseHandle): Promise<string[]> {
  const migrator = new Migrator({ db: handle.db, provider: migrationProvider(handle.dialect) })
  const { error, results } = await migrator.migrateToLatest()
  if (error !== undefined) throw error instanceof Error ? error : new Error(String(error))
  return (results ?? []).filter(r => r.status === 'Success').map(r => r.migrationName)
}
