import { mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import type SQLite from 'better-sqlite3'
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely'
import type pg from 'pg'
import { migrationProvider, type Dialect } from './migrations.js'
import type { Database } from './schema.js'
import { createPostgresStatements, type PostgresStatements } from './postgres-statements.js'
import { LockingSqliteDialect } from './sqlite-migration-lock.js'
import { trackSqliteChanges, type SqliteChanges } from './sqlite-changes.js'
import { SQLiteDatabase } from './sqlite-driver.js'
import { sqliteFileOf } from './sqlite-url.js'

export interface DatabaseHandle {
  db: Kysely<Database>
  dialect: Dialect
  /** A human-readable location for logs, without credentials. */
  location: string
  pool: pg.Pool | undefined
  /** PostgreSQL: the hot reads as named prepared statements on the pool. */
  statements: PostgresStatements | undefined
  /** The embedded database itself, for statements prepared once on hot paths. */
  sqlite: SQLite.Database | undefined
  /** For the embedded database: when it may have changed (see sqlite-changes.ts). */
  changes: SqliteChanges | undefined
  close: () => Promise<void>
}

export interface DatabaseOptions {
  databaseUrl: string | undefined
  dataDir: string
  poolSize: number
  /** Sessions (with their user) remembered on the Bearer path; embedded store only (default 0: none). */
  sessionCacheSize?: number
  /** Told when a PostgreSQL connection breaks (server stopped, network cut); the query on it fails on its own. */
  onConnectionError?: (err: Error) => void
}

const INT8_OID = 20
/**
 * Bearer lookups running at once on PostgreSQL; the ones that arrive
 * meanwhile wait and go together as one batch (postgres-statements.ts). One
 * batch of many rows costs far less CPU, in Node and in PostgreSQL, than many
 * one-row queries: measured on 2 cores, one in flight spent the least in both
 * and kept p99 (docs/scale-out.md, Pool).
 */
const BEARER_LOOKUPS_IN_FLIGHT = 1

function openSqlite (file: string, options: { createFolder: boolean }): DatabaseHandle {
  // Only the default data folder is created; a folder named in DATABASE_URL must exist (src/config.ts checks it).
  if (options.createFolder) mkdirSync(dirname(file), { recursive: true })
  const sqlite = new SQLiteDatabase(file)
  // WAL lets readers run during a write; NORMAL sync keeps every committed
  // transaction across a process crash (only an OS crash could lose the last ones).
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = NORMAL')
  sqlite.pragma('foreign_keys = ON')
  sqlite.pragma('busy_timeout = 5000')
  const changes = trackSqliteChanges(sqlite)
  const db = new Kysely<Database>({ dialect: new LockingSqliteDialect({ database: changes.database }) })
  return { db, dialect: 'sqlite', location: file, pool: undefined, statements: undefined, sqlite, changes, close: async () => { await db.destroy() } }
}

async function openPostgres (url: string, poolSize: number, onConnectionError: (err: Error) => void): Promise<DatabaseHandle> {
  // Loaded only for PostgreSQL: the embedded store's start-up does not pay for it.
  const { default: pg } = await import('pg')
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
  // A pg client whose connection breaks emits 'error', and an 'error' event
  // nobody listens to kills the process. The pool listens only while a client
  // is idle (then it emits the pool's 'error'); a client checked out for a
  // query or a transaction has no listener of its own. So every client gets
  // one for its whole life: the query on it fails by itself (a 503), and the
  // pool drops the broken client when it is released.
  pool.on('connect', (client) => { client.on('error', onConnectionError) })
  pool.on('error', () => {}) // an idle client's error: already told by its own listener
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  const parsed = new URL(url)
  return { db, dialect: 'postgres', location: `${parsed.host}${parsed.pathname}`, pool, statements: createPostgresStatements(pool, Math.min(poolSize, BEARER_LOOKUPS_IN_FLIGHT)), sqlite: undefined, changes: undefined, close: async () => { await db.destroy() } }
}

export async function openDatabase (options: DatabaseOptions): Promise<DatabaseHandle> {
  const url = options.databaseUrl
  if (url === undefined) return openSqlite(resolve(join(options.dataDir, 'gatehouse.sqlite')), { createFolder: true })
  const sqliteFile = sqliteFileOf(url)
  if (sqliteFile !== undefined) return openSqlite(resolve(sqliteFile), { createFolder: false })
  return await openPostgres(url, options.poolSize, options.onConnectionError ?? (() => {}))
}

export async function migrateToLatest (handle: DatabaseHandle): Promise<string[]> {
  // Kysely looks for its migration tables in every schema unless told which
  // one; name the connection's own schema, or a database shared by several
  // schemas (one per deployment, or per test run) would skip creating them.
  const migrationTableSchema = handle.dialect === 'postgres' ? await currentSchema(handle) : undefined
  const migrator = new Migrator({ db: handle.db, provider: migrationProvider(handle.dialect), migrationTableSchema })
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest()
    if (error === undefined) return (results ?? []).filter(r => r.status === 'Success').map(r => r.migrationName)
    if (attempt >= 5 || !isOtherSchemaDropped(error, migrationTableSchema)) throw error instanceof Error ? error : new Error(String(error))
  }
}

/**
 * Kysely's introspector, which the migrator uses to look for its tables,
 * reads the catalog of every schema in the database: if another deployment
 * (or a parallel test run) drops its schema at that moment, the query fails
 * with "schema … does not exist" about a schema that is not ours, or with
 * "relation "other.table" does not exist" (its `pg_get_serial_sequence` call
 * names each table it lists). That is a race, not a fault: the migration is
 * simply tried again.
 */
export function isOtherSchemaDropped (error: unknown, ownSchema: string | undefined): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown, message?: unknown }
  if (typeof message !== 'string' || ownSchema === undefined) return false
  if (code === '3F000') return !message.includes(`"${ownSchema}"`)
  if (code !== '42P01') return false
  const table = /^relation "([^".]+)\.[^"]+" does not exist$/.exec(message)
  return table !== null && table[1] !== ownSchema
}

async function currentSchema (handle: DatabaseHandle): Promise<string> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(handle.db)
  const schema = rows[0]?.schema
  if (schema === null || schema === undefined) throw new Error('PostgreSQL: no schema on the search_path exists; create it first')
  return schema
}
