import type { Kysely, Transaction } from 'kysely'
import { declareWrites } from './declared-writes.js'
import type { Database } from './schema.js'
import { NO_SESSION_CACHE, type SessionInvalidation } from './session-cache.js'
import type { User } from './user.js'
import { toUser } from './users-repository.js'

export interface TotpFactor {
  userId: number
  /** Sealed (src/mfa/secret-box.ts). */
  secret: string
  /** Null while the enrolment waits for its first code. */
  confirmedAt: number | null
  lastStep: number
}

export interface NewMfaChallenge {
  hash: string
  userId: number
  clientId: string | null
  scopes: string[]
  /** Seconds: the password check's time. */
  authTime: number
  expiresAt: number
}

export interface MfaChallenge {
  userId: number
  clientId: string | null
  scopes: string[]
  authTime: number
  /** Including the attempt that claimed it. */
  attempts: number
  /** The user as stored now. */
  user: User
}

/** Sessions revoked by a change of the second factor. */
export interface FactorChange { revokedSessions: number }

export interface MfaRepository {
  findTotp: (userId: number) => Promise<TotpFactor | undefined>
  /** Whether the user logs in with a second factor (a confirmed TOTP). */
  isEnabled: (userId: number) => Promise<boolean>
  /** How many users have a confirmed second factor (start-up refuses production without a key then). */
  countEnabled: () => Promise<number>
  /** Stores a pending (unconfirmed) secret, replacing an earlier pending one; false when one is already confirmed. */
  startEnrolment: (userId: number, sealedSecret: string, now: number) => Promise<boolean>
  /** Re-seals a secret under the current key (only if it is still `from`). */
  reseal: (userId: number, from: string, to: string) => Promise<void>
  /**
   * Confirms the pending secret with the step of its first code, stores the
   * recovery code hashes and revokes the user's other sessions, in one
   * transaction. Undefined when nothing was pending.
   */
  confirmEnrolment: (userId: number, step: number, recoveryHashes: string[], now: number, keepSessionId: string) => Promise<FactorChange | undefined>
  /** Accepts a code's time step once: true only if it is later than the last accepted one (atomic across instances). */
  useStep: (userId: number, step: number) => Promise<boolean>
  /** Uses an unused recovery code of the user once; false when it is unknown or used. */
  useRecoveryCode: (userId: number, hash: string, now: number) => Promise<boolean>
  remainingRecoveryCodes: (userId: number) => Promise<number>
  /** New recovery codes for a user with a confirmed factor (the old ones end); revokes the other sessions. Undefined without a factor. */
  replaceRecoveryCodes: (userId: number, hashes: string[], now: number, keepSessionId: string) => Promise<FactorChange | undefined>
  /**
   * Removes the second factor, its recovery codes and pending challenges, and
   * revokes the user's sessions (all but `keepSessionId` when given). Undefined
   * when the user had none (pending or confirmed).
   */
  remove: (userId: number, now: number, keepSessionId?: string) => Promise<FactorChange | undefined>
  /** Stores a challenge (the password was right); prunes expired ones. */
  createChallenge: (challenge: NewMfaChallenge, now: number) => Promise<void>
  /**
   * Counts one attempt on a live challenge and returns it; undefined when it is
   * unknown, used, expired or out of attempts (`maxAttempts`). Atomic: parallel
   * attempts cannot exceed the limit.
   */
  claimChallengeAttempt: (hash: string, maxAttempts: number, now: number) => Promise<MfaChallenge | undefined>
  /** Marks the challenge used; false when another request did first. */
  finishChallenge: (hash: string, now: number) => Promise<boolean>
}

export function createMfaRepository (db: Kysely<Database>, cache: SessionInvalidation = NO_SESSION_CACHE, options: { uncommittedReads?: boolean } = {}): MfaRepository {
  const write = declareWrites(cache, options)
  const ofUser = (userId: number, change: FactorChange | undefined) => ({ users: change === undefined ? [] : [userId] })

  async function revokeSessions (trx: Transaction<Database>, userId: number, now: number, keepSessionId?: string): Promise<number> {
    let query = trx.updateTable('sessions').set({ revoked_at: now }).where('user_id', '=', userId).where('revoked_at', 'is', null)
    if (keepSessionId !== undefined) query = query.where('id', '!=', keepSessionId)
    return Number((await query.executeTakeFirst()).numUpdatedRows)
  }

  async function insertCodes (trx: Transaction<Database>, userId: number, hashes: string[], now: number): Promise<void> {
    await trx.deleteFrom('mfa_recovery_codes').where('user_id', '=', userId).execute()
    if (hashes.length > 0) {
      await trx.insertInto('mfa_recovery_codes').values(hashes.map(hash => ({ hash, user_id: userId, created_at: now, used_at: null }))).execute()
    }
  }

  return {
    async findTotp (userId) {
      const row = await db.selectFrom('mfa_totp').selectAll().where('user_id', '=', userId).executeTakeFirst()
      if (row === undefined) return undefined
      const user = await db.selectFrom('users').selectAll().where('id', '=', Number(row.user_id)).executeTakeFirstOrThrow()
      return {
        user: toUser(user),
        userId: Number(row.user_id),
        secret: row.secret,
        confirmedAt: row.confirmed_at === null ? null : Number(row.confirmed_at),
        lastStep: Number(row.last_step)
      }
    },

    async isEnabled (userId) {
      const row = await db.selectFrom('mfa_totp').select('user_id')
        .where('user_id', '=', userId).where('confirmed_at', 'is not', null).executeTakeFirst()
      return row !== undefined
    },

    async countEnabled () {
      const row = await db.selectFrom('mfa_totp').select(eb => eb.fn.countAll().as('n'))
        .where('confirmed_at', 'is not', null).executeTakeFirstOrThrow()
      return Number(row.n)
    },

    startEnrolment: write(() => ({}), async (userId, sealedSecret, now) => {
      return await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('mfa_totp').where('user_id', '=', userId).where('confirmed_at', 'is', null).execute()
        const confirmed = await trx.selectFrom('mfa_totp').select('user_id').where('user_id', '=', userId).executeTakeFirst()
        if (confirmed !== undefined) return false
        await trx.insertInto('mfa_totp').values({ user_id: userId, secret: sealedSecret, confirmed_at: null, last_step: 0, created_at: now }).execute()
        return true
      })
    }),

    reseal: write(() => ({}), async (userId, from, to) => {
      await db.updateTable('mfa_totp').set({ secret: to }).where('user_id', '=', userId).where('secret', '=', from).execute()
    }),

    confirmEnrolment: write(([userId], change) => ofUser(userId, change), async (userId, step, recoveryHashes, now, keepSessionId) => {
      return await db.transaction().execute(async (trx) => {
        const confirmed = await trx.updateTable('mfa_totp').set({ confirmed_at: now, last_step: step })
          .where('user_id', '=', userId).where('confirmed_at', 'is', null).executeTakeFirst()
        if (Number(confirmed.numUpdatedRows) !== 1) return undefined
        await insertCodes(trx, userId, recoveryHashes, now)
        return { revokedSessions: await revokeSessions(trx, userId, now, keepSessionId) }
      })
    }),

    useStep: write(() => ({}), async (userId, step) => {
      const result = await db.updateTable('mfa_totp').set({ last_step: step })
        .where('user_id', '=', userId).where('confirmed_at', 'is not', null).where('last_step', '<', step)
        .executeTakeFirst()
      return Number(result.numUpdatedRows) === 1
    }),

    useRecoveryCode: write(() => ({}), async (userId, hash, now) => {
      const result = await db.updateTable('mfa_recovery_codes').set({ used_at: now })
        .where('hash', '=', hash).where('user_id', '=', userId).where('used_at', 'is', null)
        .executeTakeFirst()
      return Number(result.numUpdatedRows) === 1
    }),

    async remainingRecoveryCodes (userId) {
      const row = await db.selectFrom('mfa_recovery_codes').select(eb => eb.fn.countAll().as('n'))
        .where('user_id', '=', userId).where('used_at', 'is', null).executeTakeFirstOrThrow()
      return Number(row.n)
    },

    replaceRecoveryCodes: write(([userId], change) => ofUser(userId, change), async (userId, hashes, now, keepSessionId) => {
      return await db.transaction().execute(async (trx) => {
        const factor = await trx.selectFrom('mfa_totp').select('user_id')
          .where('user_id', '=', userId).where('confirmed_at', 'is not', null).executeTakeFirst()
        if (factor === undefined) return undefined
        await insertCodes(trx, userId, hashes, now)
        return { revokedSessions: await revokeSessions(trx, userId, now, keepSessionId) }
      })
    }),

    remove: write(([userId], change) => ofUser(userId, change), async (userId, now, keepSessionId) => {
      return await db.transaction().execute(async (trx) => {
        const removed = await trx.deleteFrom('mfa_totp').where('user_id', '=', userId).executeTakeFirst()
        if (Number(removed.numDeletedRows) === 0) return undefined
        await trx.deleteFrom('mfa_recovery_codes').where('user_id', '=', userId).execute()
        await trx.deleteFrom('mfa_challenges').where('user_id', '=', userId).execute()
        return { revokedSessions: await revokeSessions(trx, userId, now, keepSessionId) }
      })
    }),

    createChallenge: write(() => ({}), async (challenge, now) => {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('mfa_challenges').where('expires_at', '<=', now).execute()
        await trx.insertInto('mfa_challenges').values({
          hash: challenge.hash,
          user_id: challenge.userId,
          client_id: challenge.clientId,
          scope: challenge.scopes.join(' '),
          auth_time: challenge.authTime,
          attempts: 0,
          created_at: now,
          expires_at: challenge.expiresAt,
          used_at: null
        }).execute()
      })
    }),

    claimChallengeAttempt: write(() => ({}), async (hash, maxAttempts, now) => {
      const row = await db.updateTable('mfa_challenges').set(eb => ({ attempts: eb('attempts', '+', 1) }))
        .where('hash', '=', hash).where('used_at', 'is', null).where('expires_at', '>', now).where('attempts', '<', maxAttempts)
        .returning(['user_id', 'client_id', 'scope', 'auth_time', 'attempts'])
        .executeTakeFirst()
      if (row === undefined) return undefined
      const user = await db.selectFrom('users').selectAll().where('id', '=', Number(row.user_id)).executeTakeFirstOrThrow()
      return {
        user: toUser(user),
        userId: Number(row.user_id),
        clientId: row.client_id,
        scopes: row.scope === '' ? [] : row.scope.split(' '),
        authTime: Number(row.auth_time),
        attempts: Number(row.attempts)
      }
    }),

    finishChallenge: write(() => ({}), async (hash, now) => {
      const result = await db.updateTable('mfa_challenges').set({ used_at: now })
        .where('hash', '=', hash).where('used_at', 'is', null).executeTakeFirst()
      return Number(result.numUpdatedRows) === 1
    })
  }
}
