import { setTimeout as sleep } from 'node:timers/promises'
import type { Audit } from '../audit/audit-event.js'
import { temporarilyUnavailable, tooManyRequests } from '../errors.js'
import type { PasswordHasher } from '../passwords/password-hasher.js'
import type { User } from '../store/user.js'
import type { LoginThrottle } from './login-throttle.js'

export interface PasswordCheck {
  username: string
  ip: string
  /** undefined for an unknown (or malformed) username: a failure like a wrong password. */
  user: User | undefined
  password: string
  /** From refusalClock(), started before the user was looked up. */
  refusalTime: Promise<void>
  /**
   * The login goes on with a second factor: a right password does not clear
   * the user's failure count (only a right code does), so that new mfa_tokens
   * do not buy an attacker who has the password fresh guesses at the code.
   * Asked only once the password matched: a wrong password costs no lookup.
   */
  secondFactorFollows?: () => Promise<boolean>
}

/**
 * How long after an attempt began a refusal answers (see Timing below): far
 * above the work before it, even under load, and long enough that a client
 * that keeps sending refused attempts sends a few a second per connection.
 */
export const REFUSAL_ANSWER_MS = 200

/**
 * Starts an attempt's clock: call it before any work that depends on the
 * username (the user lookup), so that the timer's deadline does not.
 */
export async function refusalClock (): Promise<void> {
  await sleep(REFUSAL_ANSWER_MS)
}

/**
 * Every password check goes through here (the password grant, a password
 * change), so each one is a login attempt for the throttle: reserved before
 * the check, kept as a failure when the password is wrong, given back when it
 * is right or when no answer came (hashing queue full, store or Redis down,
 * any error). Resolves whether the password matched; throws 429 while locked
 * out (even for the right password) and 503 when the counters cannot take it.
 *
 * Timing. A refused attempt (429: the username or the IP is locked out; 503:
 * the counters are full, or the hashing queue has no room for this IP) does
 * no hashing at all, so a flood that is already refused takes no hashing slot
 * from other clients. That tells an attacker nothing: the status already says
 * the attempt was refused, and a refusal is decided on counters alone: the
 * username's counter exists for an unknown username exactly as for a known
 * one (a lockout is counted per username, whether or not it exists). Only
 * the user lookup before it differs (a row found and read, or none: about
 * 10 µs on SQLite), and without bcrypt's noise over it, enough free 429s
 * would average that out; so every refusal answers REFUSAL_ANSWER_MS after
 * the attempt began, on a timer started before the lookup, whatever ran in
 * between. 429s are alike among themselves. Every attempt that is not refused,
 * whatever its outcome (unknown user, wrong password, disabled user, unusable
 * or lower-cost stored hash, a right password), does one comparison's work at
 * the configured cost in the hasher, so 401s are alike among themselves.
 */
export async function checkPassword (
  deps: { throttle: LoginThrottle, hasher: PasswordHasher },
  input: PasswordCheck,
  audit: Audit
): Promise<boolean> {
  const { username, user } = input
  const attempt = await deps.throttle.begin(username, input.ip, user?.lockoutGeneration ?? 0)
  const { refused } = attempt
  if (refused !== undefined) {
    await input.refusalTime
    if (refused.reason === 'capacity') throw temporarilyUnavailable('Login is temporarily unavailable; try again shortly', refused.retryAfterSeconds)
    audit({ event: 'login.failed', username, reason: 'locked_out' })
    throw tooManyRequests(refused.retryAfterSeconds)
  }
  let matches: boolean
  try {
    matches = await deps.hasher.verify(input.password, user?.passwordHash, input.ip)
  } catch (err) {
    // No room in the hashing queue (503), or an error: an answer without a comparison.
    await Promise.all([attempt.abandoned().catch(() => {}), input.refusalTime])
    throw err
  }
  if (user === undefined || !matches) {
    const lockouts = await attempt.failed()
    audit({ event: 'login.failed', username, reason: 'bad_credentials' })
    for (const scope of lockouts) audit({ event: 'login.locked_out', username, scope })
    return false
  }
  let secondFactorFollows: boolean
  try {
    secondFactorFollows = await input.secondFactorFollows?.() ?? false
  } catch (err) {
    await attempt.abandoned().catch(() => {})
    throw err
  }
  if (secondFactorFollows) await attempt.abandoned()
  else await attempt.succeeded()
  return true
}
