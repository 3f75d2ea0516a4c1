import type { Audit } from '../audit/audit-event.js'
import type { LoginThrottle } from '../auth/login-throttle.js'
import { checkPassword, refusalClock } from '../auth/password-check.js'
import { accessDenied, conflict, invalidRequest, notFound } from '../errors.js'
import type { PasswordHasher } from '../passwords/password-hasher.js'
import { passwordPolicyViolation } from '../passwords/password-policy.js'
import type { Store } from '../store/store.js'
import type { User, UserChanges } from '../store/user.js'
import { UsernameTakenError } from '../store/users-repository.js'
import { EMAIL_RULE, isValidEmail } from './email.js'
import { isValidScope, normalizeScopes } from './scopes.js'
import { canonicalUsername, isValidUsername, USERNAME_RULE } from './username.js'

export interface RegistrationInput {
  username: string
  password: string
  email?: string | null
  fullName?: string | null
  scopes?: string[]
  disabled?: boolean
  /** Set by admins (API, CLI): the address counts as verified without a mail. */
  emailVerified?: boolean
}

export interface UserPatch extends UserChanges {
  /** An admin's reset: revokes every session and lifts a login lockout. */
  password?: string
}

/**
 * The client a password is hashed for: its IP is the key the hashing queue is
 * shared fairly by (src/passwords/hash-limiter.ts). Left out by the CLI, whose
 * work is queued as the one source `local`.
 */
export interface HashingClient { ip: string }

export interface UserService {
  register: (input: RegistrationInput, client?: HashingClient) => Promise<User>
  get: (username: string) => Promise<User>
  list: (options: { after?: string, limit: number }) => Promise<{ users: User[], nextCursor: string | null }>
  update: (username: string, patch: UserPatch, client?: HashingClient) => Promise<{ user: User, revokedSessions: number }>
  delete: (username: string) => Promise<void>
  /**
   * Checks the current password as a login attempt (same counters and
   * lockout as the password grant: a wrong one is a failed login, and while
   * locked out even the right one gets 429), applies the policy, and revokes
   * every other session.
   */
  changePassword: (
    user: User, currentSessionId: string | undefined, passwords: { current: string, next: string },
    client: HashingClient, audit: Audit
  ) => Promise<number>
  /** Sets a password without the current one (CLI and admins), revokes every session and lifts a lockout. */
  setPassword: (username: string, newPassword: string) => Promise<number>
  /** Lifts the user's login lockout, on every instance (the failures counted so far no longer lock). */
  unlock: (username: string) => Promise<void>
}

const LOCAL: HashingClient = { ip: 'local' }

function canonicalOrThrow (raw: string): string {
  const username = canonicalUsername(raw)
  if (!isValidUsername(username)) throw invalidRequest(`Invalid username: use ${USERNAME_RULE}`)
  return username
}

function checkScopes (scopes: string[]): string[] {
  const bad = scopes.filter(s => !isValidScope(s))
  if (bad.length > 0) throw invalidRequest(`Invalid scope name: ${bad.join(', ')}`)
  return normalizeScopes(scopes)
}

/** The API's schema checks emails before they get here; the CLI's arrive unchecked. */
function checkEmail (email: string | null | undefined): void {
  if (email !== undefined && email !== null && !isValidEmail(email)) throw invalidRequest(`Invalid email address: use ${EMAIL_RULE}`)
}

export function createUserService (deps: { store: Store, hasher: PasswordHasher, throttle: LoginThrottle, now?: () => number }): UserService {
  const { store, hasher, throttle } = deps
  const now = deps.now ?? Date.now

  async function hashAcceptable (password: string, username: string, client: HashingClient): Promise<string> {
    const violation = passwordPolicyViolation(password, username)
    if (violation !== undefined) throw invalidRequest(violation)
    return await hasher.hash(password, client.ip)
  }

  async function get (raw: string): Promise<User> {
    const user = await store.users.findByUsername(canonicalUsername(raw))
    if (user === undefined) throw notFound('No such user')
    return user
  }

  return {
    async register (input, client = LOCAL) {
      const username = canonicalOrThrow(input.username)
      const scopes = checkScopes(input.scopes ?? [])
      checkEmail(input.email)
      const hasEmail = input.email !== undefined && input.email !== null
      if (input.emailVerified === true && !hasEmail) throw invalidRequest('email_verified needs an email address')
      if (await store.users.findByUsername(username) !== undefined) throw conflict('Username is already taken')
      const passwordHash = await hashAcceptable(input.password, username, client)
      try {
        return await store.users.create({
          username,
          email: input.email ?? null,
          fullName: input.fullName ?? null,
          passwordHash,
          disabled: input.disabled ?? false,
          scopes,
          emailVerified: input.emailVerified === true
        })
      } catch (err) {
        if (err instanceof UsernameTakenError) throw conflict('Username is already taken')
        throw err
      }
    },

    get,

    async list ({ after, limit }) {
      const users = await store.users.list({ after, limit: limit + 1 })
      const page = users.slice(0, limit)
      const last = page[page.length - 1]
      return { users: page, nextCursor: users.length > limit && last !== undefined ? last.username : null }
    },

    async update (raw, patch, client = LOCAL) {
      const username = canonicalUsername(raw)
      const { password, ...clean }: UserPatch = { ...patch }
      if (patch.scopes !== undefined) clean.scopes = checkScopes(patch.scopes)
      checkEmail(patch.email)
      if (patch.emailVerified === true && patch.email === null) throw invalidRequest('email_verified needs an email address')
      // Checked before anything is written, so a refused password changes nothing.
      const passwordHash = password === undefined ? undefined : await hashAcceptable(password, username, client)
      let user = await store.users.update(username, clean)
      if (user === undefined) throw notFound('No such user')
      if (passwordHash !== undefined) {
        await store.users.setPasswordHash(user.id, passwordHash, { resetLockout: true })
        user = await get(username)
      }
      const revokedSessions = patch.disabled === true || passwordHash !== undefined ? await store.sessions.revokeAllForUser(user.id, now()) : 0
      return { user, revokedSessions }
    },

    async delete (raw) {
      // Sessions and refresh tokens go with the user (ON DELETE CASCADE).
      if (!await store.users.delete(canonicalUsername(raw))) throw notFound('No such user')
    },

    async changePassword (user, currentSessionId, passwords, client, audit) {
      const refusalTime = refusalClock()
      // The stored row, not the session's copy: its lockout generation and hash are current.
      const stored = await store.users.findByUsername(user.username)
      if (!await checkPassword({ throttle, hasher }, { username: user.username, ip: client.ip, user: stored, password: passwords.current, refusalTime }, audit) ||
        stored === undefined) {
        throw accessDenied('The current password is wrong')
      }
      const passwordHash = await hashAcceptable(passwords.next, stored.username, client)
      await store.users.setPasswordHash(stored.id, passwordHash)
      return await store.sessions.revokeAllForUser(stored.id, now(), currentSessionId)
    },

    async setPassword (raw, newPassword) {
      const user = await get(raw)
      await store.users.setPasswordHash(user.id, await hashAcceptable(newPassword, user.username, LOCAL), { resetLockout: true })
      return await store.sessions.revokeAllForUser(user.id, now())
    },

    async unlock (raw) {
      if (!await store.users.resetLockout(canonicalUsername(raw))) throw notFound('No such user')
    }
  }
}
