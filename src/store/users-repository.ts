import { sql, type Kysely, type Selectable, type Transaction } from 'kysely'
import type { Dialect } from './migrations.js'
import type { PostgresStatements } from './postgres-statements.js'
import { declareWrites } from './declared-writes.js'
import type { Database, UsersTable } from './schema.js'
import { NO_SESSION_CACHE, type SessionInvalidation } from './session-cache.js'
import { isUniqueViolation } from './unique-violation.js'
import type { NewUser, User, UserChanges } from './user.js'

export class UsernameTakenError extends Error {
  constructor (username: string) {
    super(`username "${username}" is taken`)
    this.name = 'UsernameTakenError'
  }
}

/** An import's transaction met a username created by another writer after the import checked: nothing was written. */
export class ImportRaceError extends Error {
  constructor () {
    super('a username of the import was created meanwhile by another writer')
    this.name = 'ImportRaceError'
  }
}

export function toUser (row: Selectable<UsersTable>): User {
  return {
    id: Number(row.id),
    username: row.username,
    email: row.email,
    fullName: row.full_name,
    passwordHash: row.password_hash,
    disabled: Number(row.disabled) === 1,
    scopes: row.scopes === '' ? [] : row.scopes.split(' '),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    lockoutGeneration: Number(row.lockout_generation),
    emailVerified: Number(row.email_verified) === 1
  }
}

export interface UsersRepository {
  findByUsername: (username: string) => Promise<User | undefined>
  /**
   * The users whose email is `email`, compared case-insensitively over the
   * whole address (the database's lower() on both sides, index
   * users_email_lower; SQLite's folds ASCII letters only, so other letters
   * must match as stored),
   * oldest first, at most `limit`. Addresses are not unique: several accounts may share one.
   */
  findByEmail: (email: string, limit: number) => Promise<User[]>
  create: (user: NewUser) => Promise<User>
  /**
   * Creates the user only if there is no user at all (the admin bootstrap):
   * undefined when there is one, also when another instance starting at the
   * same moment created its own first. Never two.
   */
  createFirst: (user: NewUser) => Promise<User | undefined>
  /** A changed `email` without `emailVerified` leaves the address unverified. */
  update: (username: string, patch: UserChanges) => Promise<User | undefined>
  /** `resetLockout` also lifts a login lockout (an admin's reset). */
  setPasswordHash: (userId: number, passwordHash: string, options?: { resetLockout?: boolean }) => Promise<void>
  /** Lifts a login lockout; false for an unknown user. */
  resetLockout: (username: string) => Promise<boolean>
  delete: (username: string) => Promise<boolean>
  /** Keyset pagination by username: stable under concurrent inserts. */
  list: (options: { after?: string, limit: number }) => Promise<User[]>
  /** The stored users among `usernames` (canonical), by username. */
  findMany: (usernames: readonly string[]) => Promise<Map<string, User>>
  /**
   * An import, all or nothing in one transaction: creates `create`, replaces
   * the fields and hash of `update` (by username). Where a hash changed, the
   * user's sessions are revoked and any lockout lifted, as a password reset
   * does. `onProgress` is told the rows written so far.
   */
  importMany: (plan: ImportPlan, onProgress?: (written: number) => void) => Promise<ImportWritten>
}

export interface ImportPlan {
  create: readonly NewUser[]
  update: ReadonlyArray<NewUser & { hashChanged: boolean }>
}

export interface ImportWritten {
  /** The ids of the updated users (their cached sessions are forgotten). */
  updatedIds: number[]
  revokedSessions: number
}

// 8 columns a row: 500 rows stay far below SQLite's 32,766 and PostgreSQL's 65,535 parameters.
const IMPORT_CHUNK = 500
const LOOKUP_CHUNK = 1000

function chunks<T> (items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/**
 * One statement for many users: UPDATE … FROM a VALUES list (SQLite 3.33+
 * and PostgreSQL alike). A changed hash also lifts a lockout (bump 1); a
 * changed email is unverified (the right-hand sides read the row before).
 * The values arrive untyped, hence the casts of the integer columns.
 */
async function updateUsers (trx: Transaction<Database>, users: ReadonlyArray<NewUser & { hashChanged: boolean }>, at: number): Promise<Array<{ id: number, hashChanged: boolean }>> {
  const rows = users.map(u => sql`(${u.username}, ${u.email}, ${u.fullName}, ${u.passwordHash}, ${u.disabled ? 1 : 0}, ${u.scopes.join(' ')}, ${u.hashChanged ? 1 : 0})`)
  const result = await sql<{ id: number | string, username: string }>`
    with v (username, email, full_name, password_hash, disabled, scopes, bump) as (values ${sql.join(rows)})
    update users set email = v.email, full_name = v.full_name, password_hash = v.password_hash,
      email_verified = case when users.email = v.email then users.email_verified else 0 end,
      disabled = cast(v.disabled as integer), scopes = v.scopes, updated_at = ${at},
      lockout_generation = users.lockout_generation + cast(v.bump as integer)
    from v where users.username = v.username
    returning users.id, users.username`.execute(trx)
  const changed = new Set(users.filter(u => u.hashChanged).map(u => u.username))
  return result.rows.map(row => ({ id: Number(row.id), hashChanged: changed.has(row.username) }))
}

const userRow = (user: NewUser, at: number) => ({
  username: user.username,
  email: user.email,
  full_name: user.fullName,
  password_hash: user.passwordHash,
  disabled: user.disabled ? 1 : 0,
  scopes: user.scopes.join(' '),
  email_verified: user.emailVerified === true ? 1 : 0,
  created_at: at,
  updated_at: at
})

const ofUser = (id: number | undefined) => ({ users: id === undefined ? [] : [id] })

/** `cache`: the session cache, which holds each session's user row; every write forgets that user's sessions. */
export function createUsersRepository (db: Kysely<Database>, now: () => number = Date.now, cache: SessionInvalidation = NO_SESSION_CACHE, postgres?: PostgresStatements, dialect: Dialect = 'sqlite'): UsersRepository {
  const write = declareWrites(cache)

  // One statement: insert the row unless a user exists. Atomic on SQLite (one
  // writer at a time); on PostgreSQL two transactions could both see no user,
  // so there it runs under a transaction-scoped advisory lock of the schema.
  async function insertIfNoUser (q: Kysely<Database>, user: NewUser): Promise<Selectable<UsersTable> | undefined> {
    const at = now()
    return await q.insertInto('users')
      .columns(['username', 'email', 'full_name', 'password_hash', 'disabled', 'scopes', 'created_at', 'updated_at'])
      .expression(q.selectNoFrom(eb => [
        eb.val(user.username).as('username'),
        eb.val(user.email).as('email'),
        eb.val(user.fullName).as('full_name'),
        eb.val(user.passwordHash).as('password_hash'),
        eb.val(user.disabled ? 1 : 0).as('disabled'),
        eb.val(user.scopes.join(' ')).as('scopes'),
        eb.val(at).as('created_at'),
        eb.val(at).as('updated_at')
      ]).where(eb => eb.not(eb.exists(eb.selectFrom('users').select('id')))))
      .returningAll().executeTakeFirst()
  }

  return {
    async findByUsername (username) {
      if (postgres !== undefined) return await postgres.findUserByUsername(username)
      const row = await db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst()
      return row === undefined ? undefined : toUser(row)
    },

    async findByEmail (email, limit) {
      const rows = await db.selectFrom('users').selectAll()
        .where(sql<string>`lower(email)`, '=', sql<string>`lower(${email})`)
        .orderBy('id').limit(limit).execute()
      return rows.map(toUser)
    },

    create: write((_, created) => ofUser(created.id), async (user) => {
      const at = now()
      try {
        const row = await db.insertInto('users').values(userRow(user, at)).returningAll().executeTakeFirstOrThrow()
        return toUser(row)
      } catch (err) {
        if (isUniqueViolation(err)) throw new UsernameTakenError(user.username)
        throw err
      }
    }),

    createFirst: write((_, created) => ofUser(created?.id), async (user) => {
      try {
        const row = dialect === 'postgres'
          ? await db.transaction().execute(async trx => {
            await sql`select pg_advisory_xact_lock(hashtext(current_schema() || '.gatehouse.first_user'))`.execute(trx)
            return await insertIfNoUser(trx, user)
          })
          : await insertIfNoUser(db, user)
        return row === undefined ? undefined : toUser(row)
      } catch (err) {
        // The same name inserted by another instance between our check and our insert.
        if (isUniqueViolation(err)) return undefined
        throw err
      }
    }),

    update: write((_, updated) => ofUser(updated?.id), async (username, patch) => {
      const values: Partial<Record<keyof UsersTable, unknown>> = { updated_at: now() }
      if (patch.email !== undefined) values.email = patch.email
      if (patch.fullName !== undefined) values.full_name = patch.fullName
      if (patch.disabled !== undefined) values.disabled = patch.disabled ? 1 : 0
      if (patch.scopes !== undefined) values.scopes = patch.scopes.join(' ')
      if (patch.emailVerified !== undefined) values.email_verified = patch.emailVerified ? 1 : 0
      // A new address is unverified unless the change says otherwise; the same address keeps its state.
      else if (patch.email !== undefined) values.email_verified = sql`case when email = ${patch.email} then email_verified else 0 end`
      const row = await db.updateTable('users').set(values as any).where('username', '=', username)
        .returningAll().executeTakeFirst()
      return row === undefined ? undefined : toUser(row)
    }),

    setPasswordHash: write(([userId]) => ofUser(userId), async (userId, passwordHash, options = {}) => {
      let query = db.updateTable('users').set({ password_hash: passwordHash, updated_at: now() })
      if (options.resetLockout === true) query = query.set(eb => ({ lockout_generation: eb('lockout_generation', '+', 1) }))
      await query.where('id', '=', userId).execute()
    }),

    resetLockout: write((_, id) => ofUser(id), async (username: string) => {
      const row = await db.updateTable('users').set(eb => ({ lockout_generation: eb('lockout_generation', '+', 1) }))
        .where('username', '=', username).returning('id').executeTakeFirst()
      return row === undefined ? undefined : Number(row.id)
    }, id => id !== undefined),

    // Its sessions go with it (ON DELETE CASCADE), and with them their cache entries.
    delete: write((_, id) => ofUser(id), async (username: string) => {
      const row = await db.deleteFrom('users').where('username', '=', username).returning('id').executeTakeFirst()
      return row === undefined ? undefined : Number(row.id)
    }, id => id !== undefined),

    async list ({ after, limit }) {
      let query = db.selectFrom('users').selectAll().orderBy('username').limit(limit)
      if (after !== undefined) query = query.where('username', '>', after)
      return (await query.execute()).map(toUser)
    },

    async findMany (usernames) {
      const found = new Map<string, User>()
      for (const part of chunks(usernames, LOOKUP_CHUNK)) {
        const rows = await db.selectFrom('users').selectAll().where('username', 'in', part).execute()
        for (const row of rows) found.set(row.username, toUser(row))
      }
      return found
    },

    importMany: write((_, written) => ({ users: written.updatedIds }), async (plan, onProgress = () => {}) => {
      const at = now()
      let written = 0
      try {
        return await db.transaction().execute(async (trx) => {
          for (const part of chunks(plan.create, IMPORT_CHUNK)) {
            await trx.insertInto('users').values(part.map(user => userRow(user, at))).execute()
            written += part.length
            onProgress(written)
          }
          const updatedIds: number[] = []
          const revokeIds: number[] = []
          for (const part of chunks(plan.update, IMPORT_CHUNK)) {
            for (const row of await updateUsers(trx, part, at)) {
              updatedIds.push(row.id)
              if (row.hashChanged) revokeIds.push(row.id)
            }
            written += part.length
            onProgress(written)
          }
          let revokedSessions = 0
          for (const part of chunks(revokeIds, LOOKUP_CHUNK)) {
            const result = await trx.updateTable('sessions').set({ revoked_at: at })
              .where('user_id', 'in', part).where('revoked_at', 'is', null).executeTakeFirst()
            revokedSessions += Number(result.numUpdatedRows)
          }
          return { updatedIds, revokedSessions }
        })
      } catch (err) {
        // Another writer created one of the names since the import looked: the transaction is rolled back.
        if (isUniqueViolation(err)) throw new ImportRaceError()
        throw err
      }
    })
  }
}
