import type { Session } from '../sessions/session.js'
import type { User } from './user.js'

export interface SessionWithUser {
  session: Session
  user: User
}

/**
 * The Bearer lookup's columns, in the order both stores return them as a row
 * array (better-sqlite3's raw mode, PostgreSQL's DataRow). Positions instead
 * of named columns: no per-row object of column names to build and then copy.
 * The user's id is the session's user_id (the join's condition).
 */
export const SESSION_WITH_USER_COLUMNS = [
  's.id', 's.user_id', 's.scope', 's.auth_time', 's.created_at', 's.last_used_at', 's.expires_at', 's.user_agent', 's.ip', 's.revoked_at',
  'u.username', 'u.email', 'u.full_name', 'u.password_hash', 'u.disabled', 'u.scopes', 'u.created_at', 'u.updated_at', 'u.lockout_generation',
  's.client_id', 'u.email_verified'
].join(', ')

/** One user row's columns, in the order of userOfColumns. */
export const USER_COLUMNS = 'id, username, email, full_name, password_hash, disabled, scopes, created_at, updated_at, lockout_generation, email_verified'

const words = (value: unknown): string[] => value === '' ? [] : (value as string).split(' ')
// SQLite returns numbers, PostgreSQL's text format strings (int8 as text: Number() is what the pool's parser does too).
const nullableNumber = (value: unknown): number | null => value === null ? null : Number(value)

/** A session and its user from a row of SESSION_WITH_USER_COLUMNS, frozen (caches hand out the same objects). */
export function sessionWithUserOf (row: readonly unknown[]): SessionWithUser {
  const userId = Number(row[1])
  const session: Session = {
    id: row[0] as string,
    userId,
    scopes: Object.freeze(words(row[2])) as string[],
    authTime: Number(row[3]),
    createdAt: Number(row[4]),
    lastUsedAt: Number(row[5]),
    expiresAt: Number(row[6]),
    userAgent: row[7] as string | null,
    ip: row[8] as string | null,
    revokedAt: nullableNumber(row[9]),
    clientId: row[19] as string | null
  }
  const user: User = {
    id: userId,
    username: row[10] as string,
    email: row[11] as string | null,
    fullName: row[12] as string | null,
    passwordHash: row[13] as string,
    disabled: Number(row[14]) === 1,
    scopes: Object.freeze(words(row[15])) as string[],
    createdAt: Number(row[16]),
    updatedAt: Number(row[17]),
    lockoutGeneration: Number(row[18]),
    emailVerified: Number(row[20]) === 1
  }
  return Object.freeze({ session: Object.freeze(session), user: Object.freeze(user) })
}

/** A user from a row of USER_COLUMNS. */
export function userOfColumns (row: readonly unknown[]): User {
  return {
    id: Number(row[0]),
    username: row[1] as string,
    email: row[2] as string | null,
    fullName: row[3] as string | null,
    passwordHash: row[4] as string,
    disabled: Number(row[5]) === 1,
    scopes: words(row[6]),
    createdAt: Number(row[7]),
    updatedAt: Number(row[8]),
    lockoutGeneration: Number(row[9]),
    emailVerified: Number(row[10]) === 1
  }
}
