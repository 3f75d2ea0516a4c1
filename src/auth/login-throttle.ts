/**
 * Brute-force protection for the password grant: failures are counted per
 * username and per client IP in a fixed window. Each lockout doubles the next
 * window, up to 16x. Counters live in a CounterStore (in-process or Redis) and
 * are updated with one atomic increment, and an attempt is counted before its
 * password is checked, so parallel guesses cannot slip past the per-user limit.
 */
export interface CounterStore {
  /** Atomically adds one and returns the new count and the seconds until the window resets. */
  increment: (key: string, windowSeconds: number) => Promise<{ count: number, ttlSeconds: number }>
  get: (key: string) => Promise<{ count: number, ttlSeconds: number } | undefined>
  reset: (key: string) => Promise<void>
}

export interface ThrottleLimits {
  maxFailuresPerUser: number
  maxFailuresPerIp: number
  windowSeconds: number
}

export interface ThrottleVerdict {
  locked: boolean
  retryAfterSeconds: number
  reason?: 'user' | 'ip'
}

export interface AttemptVerdict extends ThrottleVerdict {
  /** This attempt's number in the username's current window, counted before the password check. */
  attempt: number
  /** Seconds until the username's window resets. */
  ttlSeconds: number
}

export class LoginThrottle {
  constructor (private readonly counters: CounterStore, private readonly limits: ThrottleLimits) {}

  private async lockoutLevel (key: string): Promise<number> {
    const level = await this.counters.get(`lockouts:${key}`)
    return level?.count ?? 0
  }

  private async windowFor (key: string): Promise<number> {
    return this.limits.windowSeconds * 2 ** Math.min(await this.lockoutLevel(key), 4)
  }

  /** Read-only: is this username or IP locked out right now? */
  async check (username: string, ip: string): Promise<ThrottleVerdict> {
    const [user, byIp] = await Promise.all([
      this.counters.get(`user:${username}`),
      this.counters.get(`ip:${ip}`)
    ])
    if (user !== undefined && user.count >= this.limits.maxFailuresPerUser) return { locked: true, retryAfterSeconds: user.ttlSeconds, reason: 'user' }
    if (byIp !== undefined && byIp.count >= this.limits.maxFailuresPerIp) return { locked: true, retryAfterSeconds: byIp.ttlSeconds, reason: 'ip' }
    return { locked: false, retryAfterSeconds: 0 }
  }

  /**
   * Counts a password attempt against the username *before* the password is
   * checked, so that guesses sent in parallel cannot all pass a check made
   * before any of them failed. recordSuccess clears the count again.
   */
  async beginAttempt (username: string, ip: string): Promise<AttemptVerdict> {
    const byIp = await this.counters.get(`ip:${ip}`)
    if (byIp !== undefined && byIp.count >= this.limits.maxFailuresPerIp) {
      return { locked: true, retryAfterSeconds: byIp.ttlSeconds, reason: 'ip', attempt: 0, ttlSeconds: 0 }
    }
    const userKey = `user:${username}`
    const user = await this.counters.increment(userKey, await this.windowFor(userKey))
    if (user.count > this.limits.maxFailuresPerUser) {
      return { locked: true, retryAfterSeconds: user.ttlSeconds, reason: 'user', attempt: user.count, ttlSeconds: user.ttlSeconds }
    }
    return { locked: false, retryAfterSeconds: 0, attempt: user.count, ttlSeconds: user.ttlSeconds }
  }

  /** Records that the attempt failed; returns a lockout verdict when this failure used up a limit. */
  async recordFailure (username: string, ip: string, attempt: AttemptVerdict): Promise<ThrottleVerdict> {
    const userKey = `user:${username}`
    const ipKey = `ip:${ip}`
    const byIp = await this.counters.increment(ipKey, await this.windowFor(ipKey))
    // The escalation memory lasts a day longer than the longest window.
    const escalationWindow = this.limits.windowSeconds * 16 + 86400
    if (attempt.attempt === this.limits.maxFailuresPerUser) await this.counters.increment(`lockouts:${userKey}`, escalationWindow)
    if (byIp.count === this.limits.maxFailuresPerIp) await this.counters.increment(`lockouts:${ipKey}`, escalationWindow)
    if (attempt.attempt >= this.limits.maxFailuresPerUser) return { locked: true, retryAfterSeconds: attempt.ttlSeconds, reason: 'user' }
    if (byIp.count >= this.limits.maxFailuresPerIp) return { locked: true, retryAfterSeconds: byIp.ttlSeconds, reason: 'ip' }
    return { locked: false, retryAfterSeconds: 0 }
  }

  async recordSuccess (username: string): Promise<void> {
    await this.counters.reset(`user:${username}`)
  }
}
