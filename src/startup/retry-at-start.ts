import { describeDependencyFailure, type Dependency } from './dependency-failure.js'

/** Start-up gave up on a dependency; the message names it and its variable. */
export class StartupError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'StartupError'
  }
}

export interface RetryOptions {
  dependency: Dependency
  /** STARTUP_TIMEOUT_SECONDS, in ms: no new attempt starts after this. */
  timeoutMs: number
  /** Told about each failed attempt that will be tried again (logged at warn). */
  onRetry: (failure: { message: string, attempt: number, delayMs: number }) => void
  firstDelayMs?: number
  maxDelayMs?: number
  now?: () => number
  sleep?: (ms: number) => Promise<void>
}

const wait = async (ms: number) => await new Promise<void>(resolve => setTimeout(resolve, ms))

/**
 * Runs `attempt` until it succeeds, waiting with exponential backoff between
 * tries (capped at `maxDelayMs`), so that the service may start before its
 * database or Redis. Gives up with a StartupError once `timeoutMs` has passed,
 * or at once for an error that is not about reaching the dependency.
 */
export async function retryAtStart<T> (attempt: () => Promise<T>, options: RetryOptions): Promise<T> {
  const now = options.now ?? Date.now
  const sleep = options.sleep ?? wait
  const maxDelay = options.maxDelayMs ?? 5000
  const deadline = now() + options.timeoutMs
  let delay = options.firstDelayMs ?? 250
  for (let tries = 1; ; tries++) {
    try {
      return await attempt()
    } catch (err) {
      const failure = describeDependencyFailure(options.dependency, err)
      const left = deadline - now()
      if (!failure.retryable) throw new StartupError(failure.message)
      if (left <= 0) {
        throw new StartupError(`${failure.message}; gave up after ${tries} attempt${tries === 1 ? '' : 's'} in ${Math.round(options.timeoutMs / 1000)} s (STARTUP_TIMEOUT_SECONDS)`)
      }
      const delayMs = Math.min(delay, left)
      options.onRetry({ message: failure.message, attempt: tries, delayMs })
      await sleep(delayMs)
      delay = Math.min(delay * 2, maxDelay)
    }
  }
}
