import { sql, SqliteAdapter, SqliteDialect, type DialectAdapter, type Kysely } from 'kysely'

/**
 * Kysely's SQLite adapter takes no migration lock (it assumes one
 * connection), so two processes starting on one fresh file (the service and
 * the CLI, say) would both create the tables and one would fail. Holding
 * SQLite's write lock (BEGIN IMMEDIATE, which waits up to busy_timeout) for
 * the whole migration run makes the second process wait, then find nothing
 * left to do.
 */
class LockingSqliteAdapter extends SqliteAdapter {
  override async acquireMigrationLock (db: Kysely<any>): Promise<void> {
    await sql`begin immediate`.execute(db)
  }

  override async releaseMigrationLock (db: Kysely<any>): Promise<void> {
    await sql`commit`.execute(db)
  }
}

export class LockingSqliteDialect extends SqliteDialect {
  override createAdapter (): DialectAdapter {
    return new LockingSqliteAdapter()
  }
}
