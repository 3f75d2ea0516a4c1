import { randomBytes } from 'node:crypto'
import type { Kysely, QueryCreator, Selectable } from 'kysely'
import { checkOutgoingMail, type OutgoingMail } from '../mail/outgoing-mail.js'
import type { Dialect } from './migrations.js'
import type { Database, MailOutboxTable } from './schema.js'

/** A mail taken by one worker until its lease ends; only the holder of claimToken can settle it. */
export interface ClaimedMail extends OutgoingMail {
  id: number
  /** Attempts so far, this one included. */
  attempts: number
  claimToken: string
}

export interface OutboxRepository {
  /**
   * Adds a mail to send. Pass the caller's Kysely transaction to write the
   * mail together with what it announces (a token): both commit, or neither.
   * Refuses header injection (MailHeaderError). Resolves with the mail's id.
   */
  enqueue: (executor: Kysely<Database>, mail: OutgoingMail) => Promise<number>
  /**
   * Takes up to `limit` due mails for `leaseMs`: counted as an attempt, and
   * not due again before the lease ends. On PostgreSQL with FOR UPDATE SKIP
   * LOCKED, so that instances claiming at once never take the same mail;
   * SQLite has one writer.
   */
  claimDue: (options: { limit: number, leaseMs: number }) => Promise<ClaimedMail[]>
  /** Sent: its bodies are blanked. False when the claim was lost (the lease ended and another worker took it). */
  markSent: (mail: ClaimedMail) => Promise<boolean>
  /** A failed attempt: due again at `retryAt`, or kept as failed for good (bodies blanked) without one. */
  markFailed: (mail: ClaimedMail, error: string, retryAt: number | undefined) => Promise<boolean>
  /** Gives a claimed mail back unattempted (the worker is stopping): due at once, the attempt not counted. */
  release: (mail: ClaimedMail) => Promise<void>
  /** Mails waiting to be sent (due or not). */
  pendingCount: () => Promise<number>
}

const ERROR_MAX = 500

function toClaimed (row: Selectable<MailOutboxTable>, claimToken: string): ClaimedMail {
  return {
    id: Number(row.id),
    to: row.recipient,
    toName: row.recipient_name ?? undefined,
    subject: row.subject,
    text: row.text_body ?? '',
    html: row.html_body ?? '',
    attempts: Number(row.attempts),
    claimToken
  }
}

export function createOutboxRepository (db: Kysely<Database>, dialect: Dialect, now: () => number = Date.now): OutboxRepository {
  const claimed = (mail: ClaimedMail) => db.updateTable('mail_outbox')
    .where('id', '=', mail.id).where('claim_token', '=', mail.claimToken).where('status', '=', 'pending')

  return {
    async enqueue (executor, mail) {
      checkOutgoingMail(mail)
      const at = now()
      const row = await executor.insertInto('mail_outbox').values({
        recipient: mail.to,
        recipient_name: mail.toName ?? null,
        subject: mail.subject,
        text_body: mail.text,
        html_body: mail.html,
        status: 'pending',
        next_attempt_at: at,
        claim_token: null,
        last_error: null,
        created_at: at,
        updated_at: at
      }).returning('id').executeTakeFirstOrThrow()
      return Number(row.id)
    },

    async claimDue ({ limit, leaseMs }) {
      const at = now()
      const due = (qb: QueryCreator<Database>) => qb.selectFrom('mail_outbox').select('id')
        .where('status', '=', 'pending').where('next_attempt_at', '<=', at)
      // A read first: polling an idle outbox writes nothing (no write lock, no WAL frame on SQLite).
      if (await due(db).limit(1).executeTakeFirst() === undefined) return []
      const claimToken = randomBytes(12).toString('base64url')
      const set = { claim_token: claimToken, next_attempt_at: at + leaseMs, updated_at: at }
      const oldestDue = (qb: QueryCreator<Database>) => due(qb).orderBy('next_attempt_at').orderBy('id').limit(limit)
      const rows = dialect === 'postgres'
        // A materialized CTE: as `id in (subquery)` PostgreSQL may run the
        // locking subquery again for each row and so ignore its LIMIT.
        ? await db.with(wb => wb('due').materialized(), qb => oldestDue(qb).forUpdate().skipLocked())
          .updateTable('mail_outbox').from('due').whereRef('mail_outbox.id', '=', 'due.id')
          .set(eb => ({ ...set, attempts: eb('mail_outbox.attempts', '+', 1) }))
          .returningAll('mail_outbox').execute()
        // SQLite has one writer: the statement alone is atomic.
        : await db.updateTable('mail_outbox')
          .set(eb => ({ ...set, attempts: eb('attempts', '+', 1) }))
          .where('id', 'in', oldestDue(db))
          .returningAll().execute()
      return rows.map(row => toClaimed(row, claimToken)).sort((a, b) => a.id - b.id)
    },

    async markSent (mail) {
      const result = await claimed(mail)
        .set({ status: 'sent', text_body: null, html_body: null, claim_token: null, last_error: null, updated_at: now() })
        .executeTakeFirst()
      return Number(result.numUpdatedRows) > 0
    },

    async markFailed (mail, error, retryAt) {
      const lastError = error.slice(0, ERROR_MAX)
      const update = retryAt === undefined
        ? { status: 'failed' as const, text_body: null, html_body: null, claim_token: null, last_error: lastError, updated_at: now() }
        : { next_attempt_at: retryAt, claim_token: null, last_error: lastError, updated_at: now() }
      const result = await claimed(mail).set(update).executeTakeFirst()
      return Number(result.numUpdatedRows) > 0
    },

    async release (mail) {
      await claimed(mail).set(eb => ({ next_attempt_at: now(), claim_token: null, attempts: eb('attempts', '-', 1), updated_at: now() })).execute()
    },

    async pendingCount () {
      const row = await db.selectFrom('mail_outbox').select(eb => eb.fn.countAll<number>().as('count'))
        .where('status', '=', 'pending').executeTakeFirstOrThrow()
      return Number(row.count)
    }
  }
}
