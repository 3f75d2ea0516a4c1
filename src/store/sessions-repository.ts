import type SQLite from 'better-sqlite3'
import type { Kysely, Selectable } from 'kysely'
import type { Session } from '../sessions/session.js'
import type { User } from './user.js'
import type { PostgresStatements } from './postgres-statements.js'
import { SESSION_WITH_USER_COLUMNS, sessionWithUserOf, type SessionWithUser } from './session-columns.js'
import { declareWrites } from './declared-writes.js'
import type { Database, SessionsTable } from './schema.js'
import { NO_SESSION_CACHE, type SessionCache } from './session-cache.js'
import { embeddedRotation } from './sqlite-rotation.js'
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
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    clientId: row.client_id ?? null,
    amr: row.amr.split(' ')
  }
}

export type { SessionWithUser }

/** A refresh token's session and user, and when the token was issued and used (ms; null: not used yet). */
export type SessionWithRefreshToken = SessionWithUser & { refreshToken: { issuedAt: number, usedAt: number | null } }

export type RotationResult =
  | { kind: 'unknown' }
  | { kind: 'reused', session: Session, user: User }
  | { kind: 'refused', session: Session, user: User }
  | { kind: 'rotated', session: Session, user: User, generation: number }

export interface SessionsRepository {
  create: (session: Session, refreshHash: string) => Promise<void>
  /** The Bearer path: the session and its user in one indexed query. */
  findWithUser: (sessionId: string) => Promise<SessionWithUser | undefined>
  /** The session of a refresh token, used or not (`refreshToken` says), with its user. */
  findByRefreshHash: (hash: string) => Promise<SessionWithRefreshToken | undefined>
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
  's.user_agent', 's.ip', 's.revoked_at', 's.client_id', 's.amr'
] as const
const userColumns = [
  'u.id as u_id', 'u.username', 'u.email', 'u.full_name', 'u.password_hash', 'u.disabled', 'u.scopes',
  'u.created_at as u_created_at', 'u.updated_at as u_updated_at', 'u.lockout_generation', 'u.email_verified'
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
      lockout_generation: row.lockout_generation,
      email_verified: row.email_verified
    })
  }
}

/** How the Bearer lookup reads and remembers. */
export interface SessionLookup {
  /** The embedded database: the lookup is a statement prepared on it once. */
  sqlite?: SQLite.Database
  /** Remembers lookups; every write below forgets what it touched (declared-writes.ts). */
  cache?: SessionCache<SessionWithUser>
  /** Runs before each cached lookup (SQLite: drops the cache when another process has committed). */
  beforeCachedLookup?: () => void
}

function freeze (found: SessionWithUser): SessionWithUser {
  Object.freeze(found.session.scopes)
  Object.freeze(found.user.scopes)
  Object.freeze(found.session)
  Object.freeze(found.user)
  return Object.freeze(found)
}

export function createSessionsRepository (db: Kysely<Database>, lookup: SessionLookup = {}, postgres?: PostgresStatements): SessionsRepository {
  const withUser = (trx: Kysely<Database>) => trx.selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select([...sessionColumns, ...userColumns])

  // The hot path of every authenticated request. Building the query with
  // Kysely and preparing it again per request cost more CPU than the lookup
  // itself (see docs/benchmark.md), so it is prepared once: on SQLite a
  // statement returning rows as arrays (no object of column names per row), on
  // PostgreSQL a named prepared statement (postgres-statements.ts). What it
  // finds may be cached (session-cache.ts): every write of this process forgets
  // the sessions and users it touched; on SQLite another process's commit drops
  // everything (sqlite-changes.ts), on PostgreSQL every instance's writes reach
  // the others through LISTEN/NOTIFY (session-notifications.ts).
  const findWithUserStatement = lookup.sqlite
    ?.prepare(`select ${SESSION_WITH_USER_COLUMNS} from sessions as s inner join users as u on u.id = s.user_id where s.id = ?`)
    .raw(true)
  const load: (sessionId: string) => SessionWithUser | undefined | Promise<SessionWithUser | undefined> = findWithUserStatement !== undefined
    ? (sessionId) => {
        const row = findWithUserStatement.get(sessionId) as unknown[] | undefined
        return row === undefined ? undefined : sessionWithUserOf(row)
      }
    : postgres !== undefined
      ? async (sessionId) => await postgres.findSessionWithUser(sessionId)
      : async (sessionId) => {
        const row = await withUser(db).where('s.id', '=', sessionId).executeTakeFirst()
        return row === undefined ? undefined : freeze(splitJoined(row))
      }
  const { cache, beforeCachedLookup } = lookup
  const write = declareWrites(cache ?? NO_SESSION_CACHE, { uncommittedReads: lookup.sqlite !== undefined })
  const withRefreshToken = (trx: Kysely<Database>) => withUser(trx)
    .innerJoin('refresh_tokens as r', 'r.session_id', 's.id')
    .select(['r.generation', 'r.used_at'])
  const rotateEmbedded = lookup.sqlite === undefined
    ? undefined
    : embeddedRotation(db, lookup.sqlite, withRefreshToken(db).where('r.hash', '=', '').compile().sql, splitJoined)

  return {
    create: write(([session]) => ({ sessions: [session.id] }), async (session, refreshHash) => {
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
          revoked_at: null,
          client_id: session.clientId,
          amr: (session.amr ?? ['pwd']).join(' ')
        }).execute()
        await trx.insertInto('refresh_tokens').values({
          hash: refreshHash, session_id: session.id, generation: 1, created_at: session.createdAt, used_at: null
        }).execute()
      })
    }),

    async findWithUser (sessionId) {
      if (cache === undefined) return await load(sessionId)
      beforeCachedLookup?.()
      return await cache.get(sessionId, load)
    },

    async findByRefreshHash (hash) {
      const row = await withUser(db)
        .innerJoin('refresh_tokens as r', 'r.session_id', 's.id')
        .select(['r.created_at as r_created_at', 'r.used_at as r_used_at'])
        .where('r.hash', '=', hash)
        .executeTakeFirst()
      if (row === undefined) return undefined
      const usedAt = row.r_used_at === null ? null : Number(row.r_used_at)
      return { ...splitJoined(row), refreshToken: { issuedAt: Number(row.r_created_at), usedAt } }
    },

    rotate: write((_, result) => ({ sessions: result.kind === 'rotated' || result.kind === 'reused' ? [result.session.id] : [] }), async (presentedHash, nextHash, accept, now) => {
      if (rotateEmbedded !== undefined) return await rotateEmbedded(presentedHash, nextHash, accept, now)
      return await db.transaction().execute(async trx => {
        const row = await withRefreshToken(trx)
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
    }),

    async listForUser (userId) {
      const rows = await db.selectFrom('sessions').selectAll()
        .where('user_id', '=', userId).where('revoked_at', 'is', null)
        .orderBy('created_at', 'desc').execute()
      return rows.map(toSession)
    },

    revoke: write(([sessionId]) => ({ sessions: [sessionId] }), async (sessionId, now) => {
      const result = await db.updateTable('sessions').set({ revoked_at: now })
        .where('id', '=', sessionId).where('revoked_at', 'is', null).executeTakeFirst()
      return Number(result.numUpdatedRows) > 0
    }),

    revokeForUser: write(([, sessionId]) => ({ sessions: [sessionId] }), async (userId, sessionId, now) => {
      const result = await db.updateTable('sessions').set({ revoked_at: now })
        .where('id', '=', sessionId).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst()
      return Number(result.numUpdatedRows) > 0
    }),

    revokeAllForUser: write(([userId]) => ({ users: [userId] }), async (userId, now, exceptSessionId) => {
      let query = db.updateTable('sessions').set({ revoked_at: now })
        .where('user_id', '=', userId).where('revoked_at', 'is', null)
      if (exceptSessionId !== undefined) query = query.where('id', '!=', exceptSessionId)
      const result = await query.executeTakeFirst()
      return Number(result.numUpdatedRows)
    })
  }
}
