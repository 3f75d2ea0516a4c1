import type SQLite from 'better-sqlite3'
import type { Kysely, Selectable } from 'kysely'
import type { Session } from '../sessions/session.js'
import type { User } from './user.js'
import { createGenerationCache } from './generation-cache.js'
import type { PostgresStatements } from './postgres-statements.js'
import { SESSION_WITH_USER_COLUMNS, sessionWithUserOf, type SessionWithUser } from './session-columns.js'
import type { Database, SessionsTable } from './schema.js'
import type { SqliteChanges } from './sqlite-changes.js'
import { toUser } from './users-repository.js'

function toSession (row: Selectable<SessionsTable>): Session {
  return {
    id: row.id,
    userId: Number(row.user_id),
    scopes: row.scope === '' ? [] : row.scope.split(' '),
    authTime: Number(row.auth_time),
    createdAt: Number(row.created_at),
    lastUsedAt: Number(row.last_used_at),
    expiresAt: Number(row.expires_at),
    userAgent: row.user_agent,
    ip: row.ip,
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at)
  }
}

export type { SessionWithUser }

export type RotationResult =
  | { kind: 'unknown' }
  | { kind: 'reused', session: Session, user: User }
  | { kind: 'refused', session: Session, user: User }
  | { kind: 'rotated', session: Session, user: User, generation: number }

export interface SessionsRepository {
  create: (session: Session, refreshHash: string) => Promise<void>
  /** The Bearer path: the session and its user in one indexed query. */
  findWithUser: (sessionId: string) => Promise<SessionWithUser | undefined>
  findByRefreshHash: (hash: string) => Promise<SessionWithUser | undefined>
  /**
   * Atomically marks the presented refresh token used and records its
   * successor. A token that was already used (or loses a race to be used)
   * revokes the whole session: that is reuse detection. When `accept`
   * refuses the session (ended, user disabled, bad scope) nothing is consumed.
   */
  rotate: (presentedHash: string, nextHash: string, accept: (found: SessionWithUser) => boolean, now: number) => Promise<RotationResult>
  listForUser: (userId: number) => Promise<Session[]>
  revoke: (sessionId: string, now: number) => Promise<boolean>
  revokeForUser: (userId: number, sessionId: string, now: number) => Promise<boolean>
  revokeAllForUser: (userId: number, now: number, exceptSessionId?: string) => Promise<number>
}

const sessionColumns = [
  's.id', 's.user_id', 's.scope', 's.auth_time', 's.created_at', 's.last_used_at', 's.expires_at',
  's.user_agent', 's.ip', 's.revoked_at'
] as const
const userColumns = [
  'u.id as u_id', 'u.username', 'u.email', 'u.full_name', 'u.password_hash', 'u.disabled', 'u.scopes',
  'u.created_at as u_created_at', 'u.updated_at as u_updated_at', 'u.lockout_generation'
] as const

function splitJoined (row: any): SessionWithUser {
  return {
    session: toSession(row),
    user: toUser({
      id: row.u_id,
      username: row.username,
      email: row.email,
      full_name: row.full_name,
      password_hash: row.password_hash,
      disabled: row.disabled,
      scopes: row.scopes,
      created_at: row.u_created_at,
      updated_at: row.u_updated_at,
      lockout_generation: row.lockout_generation
    })
  }
}

/** The embedded database, for a Bearer lookup prepared once and cached while nothing changes. */
export interface EmbeddedLookup {
  sqlite: SQLite.Database
  changes: SqliteChanges
  /** Sessions remembered (0: none). */
  cacheSize: number
}

export function createSessionsRepository (db: Kysely<Database>, embedded?: EmbeddedLookup, postgres?: PostgresStatements): SessionsRepository {
  const withUser = (trx: Kysely<Database>) => trx.selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select([...sessionColumns, ...userColumns])

  // The hot path of every authenticated request. Building the query with
  // Kysely and preparing it again per request cost more CPU than the lookup
  // itself (see docs/benchmark.md), so its SQL is prepared once.
  // - PostgreSQL: one named prepared statement per request
  //   (postgres-statements.ts), so a revocation made by any instance is seen
  //   on the very next request.
  // - SQLite: the statement is prepared once and returns rows as arrays (no
  //   object of column names per row), and what it finds is cached only
  //   until the database may have changed (sqlite-changes.ts); any write of
  //   this process, and any commit of another, makes every entry stale.
  const findWithUserStatement = embedded?.sqlite
    .prepare(`select ${SESSION_WITH_USER_COLUMNS} from sessions as s inner join users as u on u.id = s.user_id where s.id = ?`)
    .raw(true)
  const readEmbedded = findWithUserStatement === undefined
    ? undefined
    : (sessionId: string): SessionWithUser | undefined => {
        const row = findWithUserStatement.get(sessionId) as unknown[] | undefined
        return row === undefined ? undefined : sessionWithUserOf(row)
      }
  const cache = embedded !== undefined && embedded.cacheSize > 0
    ? createGenerationCache<string, SessionWithUser>(embedded.cacheSize, embedded.changes.generation)
    : undefined
  const findEmbedded = readEmbedded !== undefined && cache !== undefined
    ? (sessionId: string) => cache.get(sessionId, readEmbedded)
    : readEmbedded

  return {
    async create (session, refreshHash) {
      await db.transaction().execute(async trx => {
        await trx.insertInto('sessions').values({
          id: session.id,
          user_id: session.userId,
          scope: session.scopes.join(' '),
          auth_time: session.authTime,
          created_at: session.createdAt,
          last_used_at: session.lastUsedAt,
          expires_at: session.expiresAt,
          user_agent: session.userAgent,
          ip: session.ip,
          revoked_at: null
        }).execute()
        await trx.insertInto('refresh_tokens').values({
          hash: refreshHash, session_id: session.id, generation: 1, created_at: session.createdAt, used_at: null
        }).execute()
      })
    },

    async findWithUser (sessionId) {
      if (findEmbedded !== undefined) return findEmbedded(sessionId)
      if (postgres !== undefined) return await postgres.findSessionWithUser(sessionId)
      const row = await withUser(db).where('s.id', '=', sessionId).executeTakeFirst()
      return row === undefined ? undefined : splitJoined(row)
    },

    async findByRefreshHash (hash) {
      const row = await withUser(db)
        .innerJoin('refresh_tokens as r', 'r.session_id', 's.id')
        .where('r.hash', '=', hash)
        .executeTakeFirst()
      return row === undefined ? undefined : splitJoined(row)
    },

    async rotate (presentedHash, nextHash, accept, now) {
      return await db.transaction().execute(async trx => {
        const row = await withUser(trx)
          .innerJoin('refresh_tokens as r', 'r.session_id', 's.id')
          .select(['r.generation', 'r.used_at'])
          .where('r.hash', '=', presentedHash)
          .executeTakeFirst()
        if (row === undefined) return { kind: 'unknown' as const }
        const { session, user } = splitJoined(row)
        if (row.used_at === null && !accept({ session, user })) return { kind: 'refused' as const, session, user }

        const claimed = row.used_at === null && await trx.updateTable('refresh_tokens')
          .set({ used_at: now })
          .where('hash', '=', presentedHash)
          .where('used_at', 'is', null)
          .executeTakeFirst()
          .then(r => Number(r.numUpdatedRows) === 1)
        if (!claimed) {
          await trx.updateTable('sessions').set({ revoked_at: now })
            .where('id', '=', session.id).where('revoked_at', 'is', null).execute()
          return { kind: 'reused' as const, session, user }
        }

        const generation = Number(row.generation) + 1
        await trx.insertInto('refresh_tokens').values({
          hash: nextHash, session_id: session.id, generation, created_at: now, used_at: null
        }).execute()
        await trx.updateTable('sessions').set({ last_used_at: now }).where('id', '=', session.id).execute()
        return { kind: 'rotated' as const, session: { ...session, lastUsedAt: now }, user, generation }
      })
    },

    async listForUser (userId) {
      const rows = await db.selectFrom('sessions').selectAll()
        .where('user_id', '=', userId).where('revoked_at', 'is', null)
        .orderBy('created_at', 'desc').execute()
      return rows.map(toSession)
    },

    async revoke (sessionId, now) {
      const result = await db.updateTable('sessions').set({ revoked_at: now })
        .where('id', '=', sessionId).where('revoked_at', 'is', null).executeTakeFirst()
      return Number(result.numUpdatedRows) > 0
    },

    async revokeForUser (userId, sessionId, now) {
      const result = await db.updateTable('sessions').set({ revoked_at: now })
        .where('id', '=', sessionId).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst()
      return Number(result.numUpdatedRows) > 0
    },

    async revokeAllForUser (userId, now, exceptSessionId) {
      let query = db.updateTable('sessions').set({ revoked_at: now })
        .where('user_id', '=', userId).where('revoked_at', 'is', null)
      if (exceptSessionId !== undefined) query = query.where('id', '!=', exceptSessionId)
      const result = await query.executeTakeFirst()
      return Number(result.numUpdatedRows)
    }
  }
}
