import type { Kysely, Transaction } from 'kysely'
import { conflict, invalidGrant, invalidRequest, invalidToken, tooManyRequests } from '../errors.js'
import { emailChangedNotice, linkFor, recipientOf, verificationMail } from '../mail/account-mails.js'
import { MailHeaderError, type OutgoingMail } from '../mail/outgoing-mail.js'
import { RecentlyIssuedError } from '../store/account-tokens-repository.js'
import type { Database } from '../store/schema.js'
import type { Store } from '../store/store.js'
import type { User } from '../store/user.js'
import { accountTokenHashOf, newAccountToken } from '../tokens/account-tokens.js'

/** The outbox as this module needs it (plugins/mail.ts): enqueue inside the write's transaction, wake after the commit. */
export interface MailQueue {
  enqueue: (executor: Kysely<Database>, mail: OutgoingMail) => Promise<number>
  wake: () => void
}

export interface EmailVerificationSettings {
  /** The front end's page, `{token}` replaced; undefined: the mail carries the token as a code. */
  verifyUrl: string | undefined
  /** Where the code is sent: `${PUBLIC_URL}/email-verification/confirm`. */
  confirmUrl: string
  ttlSeconds: number
}

/** A user who asks again within this time gets 429: one mail in flight is enough. */
export const RESEND_INTERVAL_SECONDS = 60
/** A login refused for an unverified address mails a new link at most this often (clients retry logins). */
export const REFUSED_LOGIN_RESEND_SECONDS = 600

export interface EmailVerification {
  /**
   * Mails a verification link to the user's address. 400 without an
   * address, 409 when it is already verified, 429 (Retry-After) when the
   * last mail went out less than RESEND_INTERVAL_SECONDS ago.
   */
  send: (user: User) => Promise<void>
  /**
   * After a login refused for an unverified address: mails a new link when
   * the user has an address and no link was mailed in the last
   * REFUSED_LOGIN_RESEND_SECONDS. True when a mail was queued.
   */
  sendAfterRefusedLogin: (user: User) => Promise<boolean>
  /** Marks the address the token was mailed to verified; 400 invalid_grant when it is unknown, used, expired or the address changed since. */
  confirm: (token: string) => Promise<User>
  /**
   * Sets the user's address (null removes it), unverified: a link goes to the
   * new address and a notice to the old one. The same address changes nothing;
   * a new one within RESEND_INTERVAL_SECONDS of the last link is 429.
   */
  changeEmail: (user: User, email: string | null) => Promise<{ user: User, changed: boolean }>
}

/** An address the schema accepted but the mailer would not put in a header: a client mistake, not a 500. */
async function mailable<T> (write: () => Promise<T>): Promise<T> {
  try {
    return await write()
  } catch (err) {
    if (err instanceof MailHeaderError) throw invalidRequest('This email address cannot be mailed to')
    throw err
  }
}

export function createEmailVerification (deps: { store: Store, mail: MailQueue, settings: EmailVerificationSettings, now?: () => number }): EmailVerification {
  const { store, mail, settings } = deps
  const now = deps.now ?? Date.now

  const linkMail = (user: User, email: string, token: string): OutgoingMail =>
    verificationMail(recipientOf(user, email), token, { link: linkFor(settings.verifyUrl, token), confirmUrl: settings.confirmUrl, ttlSeconds: settings.ttlSeconds })

  /**
   * Issues a token for the user's current address with its mail, in one
   * transaction, unless a link went out less than `intervalSeconds` ago:
   * checked inside that transaction, so that of two requests at once only one
   * is mailed. Then RecentlyIssuedError.
   */
  async function issue (user: User & { email: string }, intervalSeconds: number): Promise<void> {
    const { token, hash } = newAccountToken()
    const at = now()
    await store.accountTokens.issue({ userId: user.id, purpose: 'email_verification', email: user.email, hash, expiresAt: at + settings.ttlSeconds * 1000 }, at,
      async (trx: Transaction<Database>) => { await mail.enqueue(trx, linkMail(user, user.email, token)) },
      { notWithinMs: intervalSeconds * 1000 })
    mail.wake()
  }

  /** Runs a throttled write (resend, email change); a refusal becomes 429 with the seconds until the next one is allowed. */
  async function unlessTooSoon<T> (write: () => Promise<T>): Promise<T> {
    try {
      return await write()
    } catch (err) {
      if (!(err instanceof RecentlyIssuedError)) throw err
      const wait = Math.max(1, (err.lastIssuedAt + RESEND_INTERVAL_SECONDS * 1000 - now()) / 1000)
      throw tooManyRequests(wait, 'A verification mail was sent moments ago; try again later')
    }
  }

  return {
    async send (user) {
      if (user.email === null) throw invalidRequest('The account has no email address to verify')
      if (user.emailVerified) throw conflict('The email address is already verified')
      const email = user.email
      await unlessTooSoon(async () => { await mailable(async () => { await issue({ ...user, email }, RESEND_INTERVAL_SECONDS) }) })
    },

    async sendAfterRefusedLogin (user) {
      if (user.email === null || user.emailVerified) return false
      try {
        await issue({ ...user, email: user.email }, REFUSED_LOGIN_RESEND_SECONDS)
      } catch (err) {
        // A link went out recently, or the mailer refuses the address: the login is refused all the same, only without a mail.
        if (err instanceof RecentlyIssuedError || err instanceof MailHeaderError) return false
        throw err
      }
      return true
    },

    async confirm (raw) {
      const hash = accountTokenHashOf(raw)
      const user = hash === undefined ? undefined : await store.accountTokens.redeemEmailVerification(hash, now())
      if (user === undefined) throw invalidGrant('The verification token is invalid, used or expired, or the address changed since')
      return user
    },

    async changeEmail (user, email) {
      if (email === user.email) return { user, changed: false }
      const fresh = email === null ? undefined : newAccountToken()
      const at = now()
      const token = fresh === undefined ? undefined : { hash: fresh.hash, expiresAt: at + settings.ttlSeconds * 1000 }
      // Each new address is mailed a link: changes are throttled like resends, or they would mail any address at will.
      const changed = await unlessTooSoon(async () => await mailable(async () => await store.accountTokens.changeEmail(user.id, email, token, at, async (trx, after, previous) => {
        if (fresh !== undefined && after.email !== null) await mail.enqueue(trx, linkMail(after, after.email, fresh.token))
        if (previous !== null && previous !== after.email) {
          await mail.enqueue(trx, emailChangedNotice(recipientOf(after, previous), { newEmail: after.email ?? '(none)', at }))
        }
      }, { notWithinMs: RESEND_INTERVAL_SECONDS * 1000 })))
      // Deleted meanwhile: its sessions went with it.
      if (changed === undefined) throw invalidToken('The user no longer exists')
      mail.wake()
      return { user: changed, changed: true }
    }
  }
}
