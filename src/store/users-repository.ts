import { sql, type Kysely, type Selectable } from 'kysely'
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
    lockoutGeneration: Number(row.lockout_generation)
  }
}

export interface UsersRepository {
  findByUsername: (username: string) => Promise<User | undefined>
  create: (user: NewUser) => Promise<User>
  /**
   * Creates the user only if there is no user at all (the admin bootstrap):
   * undefined when there is one, also when another instance starting at the
   * same moment created its own first. Never two.
   */
  createFirst: (user: NewUser) => Promise<User | undefined>
  update: (username: string, patch: UserChanges) => Promise<User | undefined>
  /** `resetLockout` also lifts a login lockout (an admin's reset). */
  setPasswordHash: (userId: number, passwordHash: string, options?: { resetLockout?: boolean }) => Promise<void>
  /** Lifts a login lockout; false for an unknown user. */
  resetLockout: (username: string) => Promise<boolean>
  delete: (username: string) => Promise<boolean>
  /** Keyset pagination by username: stable under concurrent inserts. */
  list: (options: { after?: string, limit: number }) => Promise<User[]>
}

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

    create: write((_, created) => ofUser(created.id), async (user) => {
      const at = now()
      try {
        const row = await db.insertInto('users').values({
          username: user.username,
          email: user.email,
          full_name: user.fullName,
          password_hash: user.passwordHash,
          disabled: user.disabled ? 1 : 0,
          scopes: user.scopes.join(' '),
          created_at: at,
          updated_at: at
        }).returningAll().executeTakeFirstOrThrow()
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
    }
  }
}
