/**
 * Brute-force protection for password checks (the password grant and a
 * password change): attempts are counted per username and per client IP in a
 * fixed window. An attempt *reserves* its place on both counters before the
 * password is checked, atomically (both or neither), so however many guesses
 * arrive in parallel, at most the limit are checked per window, per user and
 * per IP; the rest are refused. A reservation stays counted only when the
 * password was wrong (or the user unknown); it is given back when the right
 * password was found or the attempt ended without an answer (503, an error).
 * Each lockout doubles the next window, up to the configured longest lockout.
 */

/** One counted subject: a username or an IP. */
export interface Subject {
  key: string
  /** Attempts allowed per window. */
  max: number
  /**
   * The user's lockout generation (0 for IPs and unknown users). It is
   * stored in the database and bumped by an unlock or an admin password
   * reset; a counter created under an older generation is discarded, with its
   * escalation level, so that operators in another process can lift a lockout.
   */
  generation: number
}

export interface WindowPolicy {
  /** The first window. */
  windowMs: number
  /** The longest window (and so the longest lockout) after escalation. */
  maxWindowMs: number
  /** How long a lockout is remembered for escalation. */
  levelTtlMs: number
}

export type Reservation =
  | { ok: true }
  /** `blocked` is the index of the first subject at its limit. */
  | { ok: false, blocked: number, retryAfterSeconds: number }
  /** The counters cannot take a new key without dropping a live lockout (in-process bound). */
  | { ok: false, full: true, retryAfterSeconds: number }

/** Where the counts live: in-process (memory-counters.ts) or Redis (redis-counters.ts). */
export interface AttemptCounters {
  /** If every subject is below its max, counts one attempt on each; otherwise changes nothing. Atomic. */
  reserve: (subjects: readonly Subject[], policy: WindowPolicy) => Promise<Reservation>
  /** The reserved attempt was a wrong password: it stays counted. Per subject: did this failure start a lockout? */
  fail: (subjects: readonly Subject[], policy: WindowPolicy) => Promise<boolean[]>
  /** Gives reservations back; `clear` also resets that subject's count (not its escalation level). */
  release: (subjects: ReadonlyArray<{ key: string, clear: boolean }>) => Promise<void>
}

export interface ThrottleLimits {
  maxFailuresPerUser: number
  maxFailuresPerIp: number
  windowSeconds: number
  /** The longest lockout: escalation stops doubling the window here (never below windowSeconds). */
  maxLockoutSeconds: number
}

export type LockoutScope = 'user' | 'ip'

export type Refusal =
  | { reason: LockoutScope, retryAfterSeconds: number }
  | { reason: 'capacity', retryAfterSeconds: number }

export interface Attempt {
  /** Set when the attempt may not check a password (nothing was reserved). */
  refused?: Refusal
  /** A wrong password or an unknown user: the attempt stays counted. Returns the lockouts this failure started. */
  failed: () => Promise<LockoutScope[]>
  /** The right password: clears the user's count and gives the IP's reservation back. */
  succeeded: () => Promise<void>
  /** No answer about the password (503, an error): gives both reservations back. */
  abandoned: () => Promise<void>
}

/** How long a lockout level is remembered after the longest window. */
const ESCALATION_MEMORY_MS = 86_400_000

function windowPolicy (limits: ThrottleLimits): WindowPolicy {
  const windowMs = limits.windowSeconds * 1000
  const maxWindowMs = Math.max(windowMs, limits.maxLockoutSeconds * 1000)
  return { windowMs, maxWindowMs, levelTtlMs: maxWindowMs + ESCALATION_MEMORY_MS }
}

/** The window that a subject with `level` earlier lockouts gets. */
export function escalatedWindowMs (policy: WindowPolicy, level: number): number {
  return Math.min(policy.windowMs * 2 ** Math.min(level, 30), policy.maxWindowMs)
}

const SCOPES: readonly LockoutScope[] = ['user', 'ip']

export class LoginThrottle {
  private readonly policy: WindowPolicy

  constructor (private readonly counters: AttemptCounters, private readonly limits: ThrottleLimits) {
    this.policy = windowPolicy(limits)
  }

  async begin (username: string, ip: string, lockoutGeneration = 0): Promise<Attempt> {
    return await this.start([
      { key: `user:${username}`, max: this.limits.maxFailuresPerUser, generation: lockoutGeneration },
      { key: `ip:${ip}`, max: this.limits.maxFailuresPerIp, generation: 0 }
    ])
  }

  /**
   * A client-secret check (src/clients/client-authentication.ts), counted like
   * a login under keys of their own: `client:` never collides with `user:`,
   * and an IP's failed client authentications do not lock its users out of
   * logging in (nor the other way round). The 'user' scope of a refusal then
   * means the client.
   */
  async beginClient (clientId: string, ip: string): Promise<Attempt> {
    return await this.start([
      { key: `client:${clientId}`, max: this.limits.maxFailuresPerUser, generation: 0 },
      { key: `client-ip:${ip}`, max: this.limits.maxFailuresPerIp, generation: 0 }
    ])
  }

  private async start (subjects: Subject[]): Promise<Attempt> {
    const [user, byIp] = subjects as [Subject, Subject]
    const reservation = await this.counters.reserve(subjects, this.policy)
    const nothing = async () => {}
    if (!reservation.ok) {
      const refused: Refusal = 'full' in reservation
        ? { reason: 'capacity', retryAfterSeconds: reservation.retryAfterSeconds }
        : { reason: SCOPES[reservation.blocked] ?? 'user', retryAfterSeconds: reservation.retryAfterSeconds }
      return { refused, failed: async () => [], succeeded: nothing, abandoned: nothing }
    }
    // Each outcome is settled once, whatever the caller does afterwards.
    let settled = false
    const once = <T>(fn: () => Promise<T>, otherwise: T) => async () => {
      if (settled) return otherwise
      settled = true
      return await fn()
    }
    return {
      failed: once(async () => {
        const started = await this.counters.fail(subjects, this.policy)
        return SCOPES.filter((_, i) => started[i] === true)
      }, []),
      succeeded: once(async () => { await this.counters.release([{ key: user.key, clear: true }, { key: byIp.key, clear: false }]) }, undefined),
      abandoned: once(async () => { await this.counters.release([{ key: user.key, clear: false }, { key: byIp.key, clear: false }]) }, undefined)
    }
  }
}
