import type SQLite from 'better-sqlite3'
import { sql } from 'kysely'
import { migrateToLatest, openDatabase, type DatabaseHandle, type DatabaseOptions } from './database.js'
import { createSessionsRepository, type SessionsRepository } from './sessions-repository.js'
import { createUsersRepository, type UsersRepository } from './users-repository.js'

/** Everything the service persists, behind one small interface for both dialects. */
export interface Store {
  dialect: DatabaseHandle['dialect']
  location: string
  users: UsersRepository
  sessions: SessionsRepository
  handle: DatabaseHandle
  ping: () => Promise<void>
  close: () => Promise<void>
}

/**
 * An embedded database that can still be read may be unable to write (disk
 * full, file or filesystem read-only), and then no login or refresh can
 * succeed: readiness commits one tiny write that changes no data (the header's
 * user_version, set to what it is) and fails with SQLITE_FULL, SQLITE_READONLY
 * or SQLITE_IOERR while that lasts.
 */
function probeSqliteWrite (sqlite: SQLite.Database): void {
  const version = Number(sqlite.pragma('user_version', { simple: true }))
  sqlite.pragma(`user_version = ${version}`)
}

export async function openStore (options: DatabaseOptions): Promise<Store> {
  const handle = await openDatabase(options)
  try {
    await migrateToLatest(handle)
  } catch (err) {
    await handle.close().catch(() => {})
    throw err
  }
  return {
    dialect: handle.dialect,
    location: handle.location,
    users: createUsersRepository(handle.db, Date.now, handle.statements),
    sessions: createSessionsRepository(handle.db, handle.sqlite === undefined || handle.changes === undefined
      ? undefined
      : { sqlite: handle.sqlite, changes: handle.changes, cacheSize: options.sessionCacheSize ?? 0 }, handle.statements),
    handle,
    ping: async () => {
      // One connection held throughout: on SQLite no other request's transaction can be open around the probe.
      await handle.db.connection().execute(async (connection) => {
        await sql`select 1`.execute(connection)
        if (handle.sqlite !== undefined) probeSqliteWrite(handle.sqlite)
      })
    },
    close: handle.close
  }
}
