import type SQLite from 'better-sqlite3'
import { sql } from 'kysely'
import { migrateToLatest, openDatabase, type DatabaseHandle, type DatabaseOptions } from './database.js'
import { createAccountTokensRepository, type AccountTokensRepository } from './account-tokens-repository.js'
import { createMfaRepository, type MfaRepository } from './mfa-repository.js'
import { createClientsRepository, type ClientsRepository } from './clients-repository.js'
import { createOutboxRepository, type OutboxRepository } from './outbox-repository.js'
import { createSessionCache, NO_SESSION_CACHE, type SessionCache } from './session-cache.js'
import { listenForSessionChanges, type SessionNotifications } from './session-notifications.js'
import { createSessionsRepository, type SessionLookup, type SessionsRepository, type SessionWithUser } from './sessions-repository.js'
import { createUsersRepository, type UsersRepository } from './users-repository.js'

/** Everything the service persists, behind one small interface for both dialects. */
export interface Store {
  dialect: DatabaseHandle['dialect']
  location: string
  users: UsersRepository
  sessions: SessionsRepository
  clients: ClientsRepository
  /** Mail to send (src/mail/outbox-worker.ts sends it). */
  outbox: OutboxRepository
  /** One-time tokens mailed to users (password reset, email verification). */
  accountTokens: AccountTokensRepository
  /** The second factor: TOTP secrets, recovery codes, pending mfa_tokens. */
  mfa: MfaRepository
  handle: DatabaseHandle
  /** The Bearer lookup's cache, if any (AUTH_CACHE_SIZE > 0; on PostgreSQL with POSTGRES_SESSION_CACHE). */
  sessionCache: SessionCache<SessionWithUser> | undefined
  /** PostgreSQL with the session cache: the connection that keeps it right. */
  sessionNotifications: SessionNotifications | undefined
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

export interface StoreOptions extends DatabaseOptions {
  /** PostgreSQL: cache the Bearer lookup too (`sessionCacheSize` entries), kept right by LISTEN/NOTIFY (POSTGRES_SESSION_CACHE). */
  postgresSessionCache?: boolean
  /** Told once when the session cache's listening connection is lost (the cache is off), and when it listens again. */
  onSessionCacheListening?: (listening: boolean, err?: Error) => void
}

const userIdOf = (found: SessionWithUser) => found.user.id

/**
 * SQLite: this process's writes forget what they touch (declared-writes.ts);
 * another process's commit drops everything. PostgreSQL: the same, and every
 * instance's (and the CLI's) writes arrive as notifications.
 */
async function sessionLookup (handle: DatabaseHandle, options: StoreOptions): Promise<SessionLookup & { notifications?: SessionNotifications }> {
  const size = options.sessionCacheSize ?? 0
  const { sqlite, changes } = handle
  if (sqlite !== undefined && changes !== undefined) {
    if (size === 0) return { sqlite }
    const cache = createSessionCache({ size, userIdOf })
    return { sqlite, cache, beforeCachedLookup: () => { if (changes.otherProcessCommitted()) cache.clear() } }
  }
  if (size === 0 || options.postgresSessionCache !== true || options.databaseUrl === undefined) return {}
  const cache = createSessionCache({ size, userIdOf, startSuspended: true })
  const told = options.onSessionCacheListening ?? (() => {})
  const notifications = await listenForSessionChanges({
    url: options.databaseUrl,
    cache,
    onLost: (err) => { told(false, err) },
    onListening: () => { told(true) }
  })
  return { cache, notifications }
}

export async function openStore (options: StoreOptions): Promise<Store> {
  const handle = await openDatabase(options)
  let found: Awaited<ReturnType<typeof sessionLookup>>
  try {
    await migrateToLatest(handle)
    found = await sessionLookup(handle, options)
  } catch (err) {
    // Closed, so that start-up's next attempt (plugins/store.ts) leaves no pool behind.
    await handle.close().catch(() => {})
    throw err
  }
  const { notifications, ...lookup } = found
  return {
    dialect: handle.dialect,
    location: handle.location,
    users: createUsersRepository(handle.db, Date.now, lookup.cache ?? NO_SESSION_CACHE, handle.statements, handle.dialect),
    sessions: createSessionsRepository(handle.db, lookup, handle.statements),
    clients: createClientsRepository(handle.db, Date.now, lookup.cache ?? NO_SESSION_CACHE, { uncommittedReads: handle.sqlite !== undefined, sqlite: handle.sqlite }),
    handle,
    sessionCache: lookup.cache,
    sessionNotifications: notifications,
    outbox: createOutboxRepository(handle.db, handle.dialect),
    accountTokens: createAccountTokensRepository(handle.db, lookup.cache ?? NO_SESSION_CACHE, { uncommittedReads: handle.sqlite !== undefined, dialect: handle.dialect }),
    mfa: createMfaRepository(handle.db, lookup.cache ?? NO_SESSION_CACHE, { uncommittedReads: handle.sqlite !== undefined }),
    ping: async () => {
      // One connection held throughout: on SQLite no other request's transaction can be open around the probe.
      await handle.db.connection().execute(async (connection) => {
        await sql`select 1`.execute(connection)
        if (handle.sqlite !== undefined) probeSqliteWrite(handle.sqlite)
      })
    },
    close: async () => {
      await notifications?.close()
      await handle.close()
    }
  }
}
