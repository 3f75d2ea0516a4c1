/**
 * Bounds the number of password hashes running at once and the number waiting.
 * bcrypt is CPU-bound on libuv's thread pool: letting a login flood queue
 * without limit would delay every other request that needs the pool and grow
 * memory. Work that cannot start within `queueTimeoutMs` is refused with
 * HashQueueFullError so the route can answer 503 quickly.
 */
export class HashQueueFullError extends Error {
  constructor () {
    super('Password hashing is saturated')
    this.name = 'HashQueueFullError'
  }
}

interface Waiter {
  start: () => void
  timer: NodeJS.Timeout
}

export class HashLimiter {
  private running = 0
  private readonly waiting: Waiter[] = []

  constructor (
    private readonly concurrency: number,
    private readonly maxQueue: number,
    private readonly queueTimeoutMs: number
  ) {}

  get active (): number { return this.running }
  get queued (): number { return this.waiting.length }

  async run<T> (task: () => Promise<T>): Promise<T> {
    await this.acquire()
    try {
      return await task()
    } finally {
      this.release()
    }
  }

  private async acquire (): Promise<void> {
    if (this.running < this.concurrency) {
      this.running++
      return
    }
    if (this.waiting.length >= this.maxQueue) throw new HashQueueFullError()
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        start: () => { clearTimeout(waiter.timer); resolve() },
        timer: setTimeout(() => {
          const index = this.waiting.indexOf(waiter)
          if (index >= 0) this.waiting.splice(index, 1)
          reject(new HashQueueFullError())
        }, this.queueTimeoutMs)
      }
      this.waiting.push(waiter)
    })
  }

  private release (): void {
    const next = this.waiting.shift()
    if (next !== undefined) next.start() // the slot passes straight to the next waiter
    else this.running--
  }
}
