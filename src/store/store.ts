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
    users: createUsersRepository(handle.db),
    sessions: createSessionsRepository(handle.db, handle.sqlite === undefined || handle.changes === undefined
      ? undefined
      : { sqlite: handle.sqlite, changes: handle.changes, cacheSize: options.sessionCacheSize ?? 0 }),
    handle,
    ping: async () => { await sql`select 1`.execute(handle.db) },
    close: handle.close
  }
}
