/**
 * Brute-force protection for the password grant: failures are counted per
 * username and per client IP in a fixed window. Each lockout doubles the next
 * window, up to 16x. Counters live in a CounterStore (in-process or Redis) and
 * are updated with one atomic increment, so parallel guesses cannot slip past
 * the limit.
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
  /** This failure itself came after the limit was reached. */
  overLimit?: boolean
}

export class LoginThrottle {
  constructor (private readonly counters: CounterStore, private readonly limits: ThrottleLimits) {}

  private async lockoutLevel (key: string): Promise<number> {
    const level = await this.counters.get(`lockouts:${key}`)
    return level?.count ?? 0
  }

  /**
   * Counts a password attempt for the username *before* the password is
   * checked. Guesses sent in parallel all pass `check` (none has failed yet),
   * so without this a burst would get every password checked, the right one
   * included; with it, at most maxFailuresPerUser are checked per window.
   * recordSuccess clears the count.
   */
  async beginAttempt (username: string, ip: string): Promise<ThrottleVerdict> {
    const verdict = await this.check(username, ip)
    if (verdict.locked) return verdict
    const window = this.limits.windowSeconds * 2 ** Math.min(await this.lockoutLevel(`user:${username}`), 4)
    const attempts = await this.counters.increment(`attempts:user:${username}`, window)
    if (attempts.count > this.limits.maxFailuresPerUser) return { locked: true, retryAfterSeconds: attempts.ttlSeconds, reason: 'user' }
    return { locked: false, retryAfterSeconds: 0 }
  }

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
   * Records one failed attempt; returns a lockout verdict when this failure
   * reached a limit. The increment is the gate: guesses that all passed
   * `check` in parallel are numbered by the atomic counter, and those numbered
   * past the limit come back `overLimit` (answer 429, not 401), so no more
   * than the limit ever get a 401.
   */
  async recordFailure (username: string, ip: string): Promise<ThrottleVerdict> {
    const userKey = `user:${username}`
    const ipKey = `ip:${ip}`
    const { maxFailuresPerUser, maxFailuresPerIp } = this.limits
    const [userLevel, ipLevel] = await Promise.all([this.lockoutLevel(userKey), this.lockoutLevel(ipKey)])
    const userWindow = this.limits.windowSeconds * 2 ** Math.min(userLevel, 4)
    const ipWindow = this.limits.windowSeconds * 2 ** Math.min(ipLevel, 4)
    const [user, byIp] = await Promise.all([
      this.counters.increment(userKey, userWindow),
      this.counters.increment(ipKey, ipWindow)
    ])
    // The escalation memory lasts a day longer than the longest window.
    const escalationWindow = this.limits.windowSeconds * 16 + 86400
    if (user.count === maxFailuresPerUser) await this.counters.increment(`lockouts:${userKey}`, escalationWindow)
    if (byIp.count === maxFailuresPerIp) await this.counters.increment(`lockouts:${ipKey}`, escalationWindow)
    const overLimit = user.count > maxFailuresPerUser || byIp.count > maxFailuresPerIp
    if (user.count >= maxFailuresPerUser) return { locked: true, retryAfterSeconds: user.ttlSeconds, reason: 'user', overLimit }
    if (byIp.count >= maxFailuresPerIp) return { locked: true, retryAfterSeconds: byIp.ttlSeconds, reason: 'ip', overLimit }
    return { locked: false, retryAfterSeconds: 0, overLimit: false }
  }

  async recordSuccess (username: string): Promise<void> {
    await Promise.all([this.counters.reset(`user:${username}`), this.counters.reset(`attempts:user:${username}`)])
  }
}
