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
}

/**
 * Every password check goes through here (the password grant, a password
 * change), so each one is a login attempt for the throttle: reserved before
 * the check, kept as a failure when the password is wrong, given back when it
 * is right or when no answer came (hashing queue full, store or Redis down,
 * any error). Resolves whether the password matched; throws 429 while locked
 * out (even for the right password) and 503 when the counters cannot take it.
 * A refused attempt still does one bcrypt comparison, so timing tells nothing.
 */
export async function checkPassword (
  deps: { throttle: LoginThrottle, hasher: PasswordHasher },
  input: PasswordCheck,
  audit: Audit
): Promise<boolean> {
  const { username, user } = input
  const attempt = await deps.throttle.begin(username, input.ip, user?.lockoutGeneration ?? 0)
  const { refused } = attempt
  let matches: boolean
  try {
    matches = await deps.hasher.verify(input.password, refused === undefined ? user?.passwordHash : undefined)
  } catch (err) {
    await attempt.abandoned().catch(() => {})
    throw err
  }
  if (refused !== undefined) {
    if (refused.reason === 'capacity') throw temporarilyUnavailable('Login is temporarily unavailable; try again shortly', refused.retryAfterSeconds)
    audit({ event: 'login.failed', username, reason: 'locked_out' })
    throw tooManyRequests(refused.retryAfterSeconds)
  }
  if (user === undefined || !matches) {
    const lockouts = await attempt.failed()
    audit({ event: 'login.failed', username, reason: 'bad_credentials' })
    for (const scope of lockouts) audit({ event: 'login.locked_out', username, scope })
    return false
  }
  await attempt.succeeded()
  return true
}
