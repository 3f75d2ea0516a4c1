import type { Kysely } from 'kysely'
import type { AttemptCounters, WindowPolicy } from '../auth/login-throttle.js'
import { invalidGrant, invalidRequest, tooManyRequests } from '../errors.js'
import { linkFor, passwordChangedMail, passwordResetMail, recipientOf } from '../mail/account-mails.js'
import type { OutgoingMail } from '../mail/outgoing-mail.js'
import type { PasswordHasher } from '../passwords/password-hasher.js'
import { passwordPolicyViolation } from '../passwords/password-policy.js'
import type { Database } from '../store/schema.js'
import type { Store } from '../store/store.js'
import type { User } from '../store/user.js'
import { accountTokenHashOf, newAccountToken } from '../tokens/account-tokens.js'
import { canonicalUsername } from '../users/username.js'

/**
 * Password reset (SPEC "Password reset"): a request mails a one-time token to
 * the account's address; the token and a new password set the password, lift
 * a lockout and end every session.
 *
 * A request answers the same, at once, for any address: the caller only
 * waits for the rate-limit counters, which are keyed by what was submitted
 * and so cost the same whether or not an account exists. The lookup, the
 * token and the mail are done afterwards, in the background (`pending`),
 * and their errors go to `onError`. Answering first, rather than padding
 * every answer to a fixed floor, leaks nothing even when the database is
 * slow (a floor leaks whenever the work outlasts it) and holds no
 * connection open for the padding.
 */

export type ResetTarget = { email: string } | { username: string }

export interface ResetLimits {
  maxPerAddress: number
  maxPerIp: number
  windowSeconds: number
}

export interface ResetMailer {
  enqueue: (executor: Kysely<Database>, mail: OutgoingMail) => Promise<number>
  wake: () => void
}

export interface PasswordResetDeps {
  store: Store
  hasher: PasswordHasher
  counters: AttemptCounters
  mail: ResetMailer
  limits: ResetLimits
  ttlSeconds: number
  /** The front end's reset page with `{token}`, or undefined (the mail carries the code). */
  resetUrl: string | undefined
  /** The service's base URL: the mail names `${publicUrl}/password-reset/confirm`. */
  publicUrl: string
  /** A background request failed (the caller was already answered). */
  onError: (err: unknown) => void
  now?: () => number
}

export interface PasswordResetService {
  /** Counts the request (429 over a limit) and returns; the mail, if any, is prepared in the background. */
  request: (target: ResetTarget, ip: string) => Promise<void>
  /** Sets the new password with a mailed token; the user and the sessions that were ended. */
  confirm: (token: string, newPassword: string, ip: string) => Promise<{ user: User, revokedSessions: number }>
  /** Resolves when every background request begun so far has finished (graceful close, tests). */
  settled: () => Promise<void>
}

/** How long after the answer a request's work begins (see inBackground). */
export const BACKGROUND_DELAY_MS = 20

/** At most this many accounts share an address and each gets its own mail (the mail names the account). */
export const MAX_ACCOUNTS_PER_ADDRESS = 10

/** The counter key of a submitted address: emails compare case-insensitively, usernames canonically. */
export function resetAddressKey (target: ResetTarget): string {
  return 'email' in target ? target.email.trim().toLowerCase() : canonicalUsername(target.username)
}

const hasEmail = (user: User): user is User & { email: string } => user.email !== null

export function createPasswordResetService (deps: PasswordResetDeps): PasswordResetService {
  const { store, hasher, counters, mail, limits } = deps
  const now = deps.now ?? Date.now
  const policy: WindowPolicy = { windowMs: limits.windowSeconds * 1000, maxWindowMs: limits.windowSeconds * 1000, levelTtlMs: limits.windowSeconds * 1000 }
  const pending = new Set<Promise<void>>()

  async function accountsOf (target: ResetTarget): Promise<User[]> {
    if ('email' in target) return await store.users.findByEmail(target.email.trim(), MAX_ACCOUNTS_PER_ADDRESS)
    const user = await store.users.findByUsername(canonicalUsername(target.username))
    return user === undefined ? [] : [user]
  }

  async function mailToken (user: User & { email: string }): Promise<void> {
    const { token, hash } = newAccountToken()
    const at = now()
    await store.accountTokens.issue({ userId: user.id, purpose: 'password_reset', email: user.email, hash, expiresAt: at + deps.ttlSeconds * 1000 }, at,
      async (trx, current) => {
        // The row as the transaction sees it: no mail if the account was disabled or its address changed since the lookup.
        if (current.disabled || current.email !== user.email) return
        await mail.enqueue(trx, passwordResetMail(recipientOf(current, user.email), token, {
          link: linkFor(deps.resetUrl, token),
          confirmUrl: `${deps.publicUrl}/password-reset/confirm`,
          ttlSeconds: deps.ttlSeconds
        }))
      })
    mail.wake()
  }

  async function deliver (target: ResetTarget): Promise<void> {
    const users = (await accountsOf(target)).filter(u => !u.disabled).filter(hasEmail)
    for (const user of users) {
      try {
        await mailToken(user)
      } catch (err) {
        deps.onError(err)
      }
    }
  }

  /**
   * Starts the work a little after the answer is written. Begun at once, the
   * work of a known account (the embedded SQLite runs its queries
   * synchronously) competed with the answer still on its way to the client,
   * which measured about 25 % slower than for an unknown address
   * (bench/reset-enumeration.mjs); begun BACKGROUND_DELAY_MS later, no kind stands out.
   */
  function inBackground (work: () => Promise<void>): void {
    const tracked = new Promise<void>(resolve => { setTimeout(resolve, BACKGROUND_DELAY_MS) }).then(work)
      .catch(deps.onError).finally(() => { pending.delete(tracked) })
    pending.add(tracked)
  }

  return {
    async request (target, ip) {
      const reservation = await counters.reserve([
        { key: `reset:${resetAddressKey(target)}`, max: limits.maxPerAddress, generation: 0 },
        { key: `reset-ip:${ip}`, max: limits.maxPerIp, generation: 0 }
      ], policy)
      if (!reservation.ok) throw tooManyRequests(reservation.retryAfterSeconds, 'Too many password-reset requests, try again later')
      inBackground(async () => { await deliver(target) })
    },

    async confirm (token, newPassword, ip) {
      // Bad tokens stay counted per IP; any other outcome gives the place back.
      const key = `reset-confirm-ip:${ip}`
      const reservation = await counters.reserve([{ key, max: limits.maxPerIp, generation: 0 }], policy)
      if (!reservation.ok) throw tooManyRequests(reservation.retryAfterSeconds, 'Too many invalid reset tokens, try again later')
      let badToken = false
      const refused = () => {
        badToken = true
        return invalidGrant('The reset token is invalid, expired or already used')
      }
      try {
        const hash = accountTokenHashOf(token)
        if (hash === undefined) throw refused()
        // Peek first: the policy needs the username, and a refused password must not spend the token.
        const owner = await store.accountTokens.peek(hash, 'password_reset', now())
        if (owner === undefined || owner.disabled) throw refused()
        const violation = passwordPolicyViolation(newPassword, owner.username)
        if (violation !== undefined) throw invalidRequest(violation)
        const passwordHash = await hasher.hash(newPassword, ip)
        const at = now()
        const result = await store.accountTokens.redeemPasswordReset(hash, passwordHash, at, async (trx, user) => {
          if (hasEmail(user)) await mail.enqueue(trx, passwordChangedMail(recipientOf(user, user.email), { at }))
        })
        // Redeemed by a parallel confirmation between the peek and now.
        if (result === undefined) throw refused()
        mail.wake()
        return result
      } finally {
        if (!badToken) await counters.release([{ key, clear: false }])
      }
    },

    async settled () {
      while (pending.size > 0) await Promise.allSettled([...pending])
    }
  }
}
