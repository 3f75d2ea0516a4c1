import { setTimeout as sleep } from 'node:timers/promises'
import { sql, SqliteAdapter, SqliteDialect, SqliteDriver, type DatabaseConnection, type DialectAdapter, type Driver, type Kysely, type SqliteDialectConfig } from 'kysely'

const MAX_WAIT_MS = 30_000
const POLL_MS = 25

/**
 * Kysely's SQLite adapter takes no migration lock (it assumes one
 * connection), so two processes starting on one fresh file (the service and
 * the CLI, say) would both create the tables and one would fail. Holding
 * SQLite's write lock (BEGIN IMMEDIATE) for the whole migration run makes the
 * second one wait, then find nothing left to do. The wait polls with
 * busy_timeout off: better-sqlite3 is synchronous, so busy_timeout would block
 * the event loop (and a second connection in the same process would never get
 * the lock).
 */
class LockingSqliteAdapter extends SqliteAdapter {
  private locked = false

  override async acquireMigrationLock (db: Kysely<any>): Promise<void> {
    const { rows } = await sql<{ timeout: number }>`pragma busy_timeout`.execute(db)
    await sql`pragma busy_timeout = 0`.execute(db)
    try {
      for (const started = Date.now(); ;) {
        try {
          await sql`begin immediate`.execute(db)
          this.locked = true
          return
        } catch (err) {
          if ((err as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() - started > MAX_WAIT_MS) throw err
          await sleep(POLL_MS)
        }
      }
    } finally {
      await sql.raw(`pragma busy_timeout = ${Number(rows[0]?.timeout ?? 5000)}`).execute(db)
    }
  }

  override async releaseMigrationLock (db: Kysely<any>): Promise<void> {
    // Kysely releases even when acquiring failed: do not hide that error behind "no transaction is active".
    if (!this.locked) return
    this.locked = false
    await sql`commit`.execute(db)
  }
}

/**
 * When a COMMIT (or a statement) fails because the disk is full or the file
 * became read-only, SQLite rolls the transaction back by itself. Kysely then
 * sends its own ROLLBACK, which fails with "no transaction is active" and
 * replaces the real error: a disk-full 503 would become a 500. A rollback with
 * nothing left to roll back is done, not an error.
 */
class RollbackSafeSqliteDriver extends SqliteDriver {
  override async rollbackTransaction (connection: DatabaseConnection): Promise<void> {
    try {
      await super.rollbackTransaction(connection)
    } catch (err) {
      if (!/no transaction is active/.test((err as Error).message)) throw err
    }
  }
}

export class LockingSqliteDialect extends SqliteDialect {
  constructor (private readonly config: SqliteDialectConfig) { super(config) }

  override createAdapter (): DialectAdapter {
    return new LockingSqliteAdapter()
  }

  override createDriver (): Driver {
    return new RollbackSafeSqliteDriver(this.config)
  }
}
