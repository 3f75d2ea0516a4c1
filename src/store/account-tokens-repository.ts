import type { Kysely, Selectable, Transaction } from 'kysely'
import { declareWrites } from './declared-writes.js'
import type { AccountTokenPurpose, Database, UsersTable } from './schema.js'
import { NO_SESSION_CACHE, type SessionInvalidation } from './session-cache.js'
import type { User } from './user.js'
import { toUser } from './users-repository.js'

export interface NewAccountTokenRow {
  userId: number
  purpose: AccountTokenPurpose
  /** The address the token is mailed to. */
  email: string
  hash: string
  expiresAt: number
}

/**
 * A token of this purpose was issued to the user less than `notWithinMs`
 * before: checked inside the write's transaction, with the user's row locked,
 * so that of two requests at once only one is mailed. Nothing was written.
 */
export class RecentlyIssuedError extends Error {
  constructor (readonly lastIssuedAt: number) {
    super('A token of this purpose was issued moments ago')
    this.name = 'RecentlyIssuedError'
  }
}

/** How often a token of a purpose may be issued to one user (the resend throttle); none when left out. */
export interface IssueLimit {
  notWithinMs?: number
}

/** Runs inside the write's transaction: enqueue the mail that carries the token (or announces the change) here. */
export type AlsoInTransaction = (trx: Transaction<Database>, user: User) => Promise<void>

export interface AccountTokensRepository {
  /**
   * Stores a new token for the user and ends every earlier unused token of
   * the same purpose (a newer request invalidates older ones), in one
   * transaction with `also` (the mail). Expired rows of any user are pruned.
   * Throws RecentlyIssuedError, writing nothing, when `limit.notWithinMs` says
   * the last token of the purpose is too recent.
   */
  issue: (token: NewAccountTokenRow, now: number, also?: AlsoInTransaction, limit?: IssueLimit) => Promise<void>
  /**
   * Redeems an unused, unexpired password-reset token: in one transaction the
   * token is used, the password hash set, a login lockout lifted, every
   * session revoked and, when the token went to the user's current address,
   * that address marked verified (the mail reached it). Undefined when the
   * token is unknown, used, expired or superseded.
   */
  redeemPasswordReset: (hash: string, passwordHash: string, now: number, also?: AlsoInTransaction) => Promise<{ user: User, revokedSessions: number } | undefined>
  /**
   * Redeems an unused, unexpired email-verification token whose address is
   * still the user's email, and marks that email verified. Undefined
   * otherwise (the token is unknown, used, expired, or the email changed since).
   */
  redeemEmailVerification: (hash: string, now: number) => Promise<User | undefined>
  /** The user an unused, unexpired token of this purpose belongs to, without using it. */
  peek: (hash: string, purpose: AccountTokenPurpose, now: number) => Promise<User | undefined>
  /**
   * When the user's newest unexpired token of this purpose was issued, used
   * or not (the resend throttle: ending a token, by an email change say, does
   * not reopen the window); undefined if none.
   */
  lastIssuedAt: (userId: number, purpose: AccountTokenPurpose, now: number) => Promise<number | undefined>
  /**
   * Sets the user's email (null removes it) and marks it unverified, ends
   * every unused verification token of the user, and stores `token` (for the
   * new address), in one transaction with `also` (the mails), which is told
   * the address before. Undefined for an unknown user. With a new address,
   * RecentlyIssuedError (nothing changed) when `limit.notWithinMs` says the
   * last verification link is too recent.
   */
  changeEmail: (userId: number, email: string | null, token: { hash: string, expiresAt: number } | undefined, now: number, also?: EmailChangeAlso, limit?: IssueLimit) => Promise<User | undefined>
}

/** Runs inside an email change's transaction, with the user after it and the address before it. */
export type EmailChangeAlso = (trx: Transaction<Database>, user: User, previousEmail: string | null) => Promise<void>

export function createAccountTokensRepository (db: Kysely<Database>, cache: SessionInvalidation = NO_SESSION_CACHE, options: { uncommittedReads?: boolean, dialect?: 'sqlite' | 'postgres' } = {}): AccountTokensRepository {
  const write = declareWrites(cache, options)
  const ofUser = (user: User | undefined) => ({ users: user === undefined ? [] : [user.id] })

  /** Marks the token used if it is live; the row it was, or undefined. One statement: two redemptions at once cannot both win. */
  async function use (trx: Transaction<Database>, hash: string, purpose: AccountTokenPurpose, now: number) {
    return await trx.updateTable('account_tokens').set({ used_at: now })
      .where('hash', '=', hash).where('purpose', '=', purpose)
      .where('used_at', 'is', null).where('expires_at', '>', now)
      .returning(['user_id', 'email']).executeTakeFirst()
  }

  /** Ends every unused token of this user and purpose (a newer one replaces them, or the reset they were for is done). */
  async function endUnused (trx: Transaction<Database>, userId: number, purpose: AccountTokenPurpose, now: number): Promise<void> {
    await trx.updateTable('account_tokens').set({ used_at: now })
      .where('user_id', '=', userId).where('purpose', '=', purpose).where('used_at', 'is', null)
      .execute()
  }

  /** The newest unexpired token of this purpose, used or not (ending a link reopens no window). */
  async function latestIssued (executor: Kysely<Database> | Transaction<Database>, userId: number, purpose: AccountTokenPurpose, now: number): Promise<number | undefined> {
    const row = await executor.selectFrom('account_tokens').select(eb => eb.fn.max('created_at').as('latest'))
      .where('user_id', '=', userId).where('purpose', '=', purpose).where('expires_at', '>', now)
      .executeTakeFirst()
    return row?.latest === null || row?.latest === undefined ? undefined : Number(row.latest)
  }

  /**
   * Reads the user's row and holds it until the transaction ends, so that two
   * throttled issues for one user run one after the other. PostgreSQL: a row
   * lock (`for update`). SQLite needs none: its transactions here begin with a
   * write, which takes the database's one write lock.
   */
  async function heldUser (trx: Transaction<Database>, userId: number): Promise<Selectable<UsersTable> | undefined> {
    const query = trx.selectFrom('users').selectAll().where('id', '=', userId)
    return await (options.dialect === 'postgres' ? query.forUpdate() : query).executeTakeFirst()
  }

  async function refuseRecent (trx: Transaction<Database>, userId: number, purpose: AccountTokenPurpose, now: number, limit: IssueLimit | undefined): Promise<void> {
    if (limit?.notWithinMs === undefined) return
    const last = await latestIssued(trx, userId, purpose, now)
    if (last !== undefined && now - last < limit.notWithinMs) throw new RecentlyIssuedError(last)
  }

  async function insert (trx: Transaction<Database>, token: NewAccountTokenRow, now: number): Promise<void> {
    await trx.insertInto('account_tokens').values({
      hash: token.hash,
      user_id: token.userId,
      purpose: token.purpose,
      email: token.email,
      created_at: now,
      expires_at: token.expiresAt,
      used_at: null
    }).execute()
  }

  /**
   * A throttle refusal goes through the declared write as a result, not an
   * error: on SQLite a failed write forgets every cached session
   * (declared-writes.ts), and a refused resend wrote nothing. `refusedIf`
   * (the write's `present`) then throws it to the caller.
   */
  const refusal = async <T>(transaction: () => Promise<T>): Promise<T | RecentlyIssuedError> => {
    try {
      return await transaction()
    } catch (err) {
      if (err instanceof RecentlyIssuedError) return err
      throw err
    }
  }
  function refusedIf<T> (result: T | RecentlyIssuedError): T {
    if (result instanceof RecentlyIssuedError) throw result
    return result
  }

  const issue = write(() => ({}), async (token: NewAccountTokenRow, now: number, also?: AlsoInTransaction, limit?: IssueLimit) =>
    await refusal(async () => {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('account_tokens').where('expires_at', '<=', now).execute()
        const user = await heldUser(trx, token.userId)
        await refuseRecent(trx, token.userId, token.purpose, now, limit)
        await endUnused(trx, token.userId, token.purpose, now)
        await insert(trx, token, now)
        if (also !== undefined) {
          if (user === undefined) throw new Error(`account token for a user that does not exist (${token.userId})`)
          await also(trx, toUser(user))
        }
      })
    }), refusedIf)

  const changeEmail = write(
    (_, result) => ofUser(result instanceof RecentlyIssuedError ? undefined : result),
    async (userId: number, email: string | null, token: { hash: string, expiresAt: number } | undefined, now: number, also?: EmailChangeAlso, limit?: IssueLimit) =>
      await refusal(async () => await db.transaction().execute(async (trx) => {
        const before = await trx.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirst()
        if (before === undefined) return undefined
        // The update locks the row (PostgreSQL) before the throttle is read; a refusal rolls it back.
        const row = await trx.updateTable('users').set({ email, email_verified: 0, updated_at: now })
          .where('id', '=', userId).returningAll().executeTakeFirstOrThrow()
        if (email !== null) await refuseRecent(trx, userId, 'email_verification', now, limit)
        await endUnused(trx, userId, 'email_verification', now)
        if (token !== undefined && email !== null) await insert(trx, { ...token, userId, purpose: 'email_verification', email }, now)
        const user = toUser(row)
        if (also !== undefined) await also(trx, user, before.email)
        return user
      })), refusedIf)

  return {
    issue,

    redeemPasswordReset: write((_, result) => ofUser(result?.user), async (hash, passwordHash, now, also) => {
      return await db.transaction().execute(async (trx) => {
        const token = await use(trx, hash, 'password_reset', now)
        if (token === undefined) return undefined
        const row = await trx.updateTable('users')
          .set(eb => ({
            password_hash: passwordHash,
            lockout_generation: eb('lockout_generation', '+', 1),
            email_verified: eb.case().when('email', '=', token.email).then(1).else(eb.ref('email_verified')).end(),
            updated_at: now
          }))
          .where('id', '=', token.user_id).returningAll().executeTakeFirstOrThrow()
        const revoked = await trx.updateTable('sessions').set({ revoked_at: now })
          .where('user_id', '=', token.user_id).where('revoked_at', 'is', null).executeTakeFirst()
        // Any other reset token of the user ends with this one.
        await endUnused(trx, Number(token.user_id), 'password_reset', now)
        const user = toUser(row)
        if (also !== undefined) await also(trx, user)
        return { user, revokedSessions: Number(revoked.numUpdatedRows) }
      })
    }),

    redeemEmailVerification: write((_, user) => ofUser(user), async (hash, now) => {
      return await db.transaction().execute(async (trx) => {
        const token = await use(trx, hash, 'email_verification', now)
        if (token === undefined) return undefined
        const row = await trx.updateTable('users').set({ email_verified: 1, updated_at: now })
          .where('id', '=', token.user_id).where('email', '=', token.email)
          .returningAll().executeTakeFirst()
        // The address changed since the mail was sent: the token is spent and confirms nothing.
        return row === undefined ? undefined : toUser(row)
      })
    }),

    async peek (hash, purpose, now) {
      const row = await db.selectFrom('account_tokens').innerJoin('users', 'users.id', 'account_tokens.user_id')
        .selectAll('users')
        .where('account_tokens.hash', '=', hash).where('account_tokens.purpose', '=', purpose)
        .where('account_tokens.used_at', 'is', null).where('account_tokens.expires_at', '>', now)
        .executeTakeFirst()
      return row === undefined ? undefined : toUser(row)
    },

    async lastIssuedAt (userId, purpose, now) {
      return await latestIssued(db, userId, purpose, now)
    },

    changeEmail
  }
}
