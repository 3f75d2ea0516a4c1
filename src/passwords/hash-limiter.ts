/**
 * Bounds the number of password hashes running at once and the number waiting,
 * and shares the hashing slots fairly between sources (client IPs).
 * bcrypt is CPU-bound on libuv's thread pool: letting a login flood queue
 * without limit would delay every other request that needs the pool and grow
 * memory. Work that cannot wait (the queue, or its source's share of it, is
 * full) or cannot start within `queueTimeoutMs` is refused with
 * HashQueueFullError so the route can answer 503 quickly.
 */
export class HashQueueFullError extends Error {
  constructor () {
    super('Password hashing is saturated')
    this.name = 'HashQueueFullError'
  }
}

export interface HashLimiterOptions {
  /** Hashes running at once. */
  concurrency: number
  /** Waiters at most, all sources together. */
  maxQueue: number
  /** Waiters at most from one source, so that one source cannot fill the queue. */
  maxQueuePerSource: number
  /** How long a waiter may wait for its slot. */
  queueTimeoutMs: number
}

interface Waiter {
  source: string
  round: number
  start: () => void
  timer: NodeJS.Timeout
}

/**
 * Round-robin between sources. Every task costs the same (one hash at the
 * configured cost), so fair queueing needs no weights: each waiter gets a
 * round number and a free slot goes to the lowest round, in order of arrival
 * within it. A source takes one round after another: its next waiter gets the
 * round after its last waiter's, or after the round it was last served in if
 * that is the current one; a source that has neither joins the current round.
 * With k sources waiting, each gets one slot in k, and a newcomer is served
 * after at most one waiter of each other source (besides the hashes already
 * running), however many a flood keeps queued. This is start-time fair
 * queueing (Goyal et al., 1996) with unit costs.
 */
export class HashLimiter {
  private running = 0
  private waiting = 0
  /** Waiters by round; a Set keeps the order of arrival and deletes in O(1). */
  private readonly rounds = new Map<number, Set<Waiter>>()
  /** Each source's waiters in order of arrival (their rounds increase). */
  private readonly bySource = new Map<string, Waiter[]>()
  /** The round of the last slot given. */
  private currentRound = 0
  /** The sources given a slot in the current round. */
  private servedInRound = new Set<string>()

  constructor (private readonly options: HashLimiterOptions) {}

  get active (): number { return this.running }
  get queued (): number { return this.waiting }

  /** Runs `task` in a slot, after the waiters ahead of it; `source` is the key fairness is kept between. */
  async run<T> (source: string, task: () => Promise<T>): Promise<T> {
    await this.acquire(source)
    try {
      return await task()
    } finally {
      this.release()
    }
  }

  private async acquire (source: string): Promise<void> {
    if (this.running < this.options.concurrency) {
      // A free slot means nobody is waiting: rounds start afresh.
      this.running++
      this.startRound(this.currentRound + 1, source)
      return
    }
    const queue = this.bySource.get(source) ?? []
    if (this.waiting >= this.options.maxQueue || queue.length >= this.options.maxQueuePerSource) throw new HashQueueFullError()
    const last = queue.at(-1)
    const round = last !== undefined
      ? Math.max(this.currentRound, last.round + 1)
      : this.servedInRound.has(source) ? this.currentRound + 1 : this.currentRound
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        source,
        round,
        start: () => { clearTimeout(waiter.timer); resolve() },
        timer: setTimeout(() => {
          this.remove(waiter)
          reject(new HashQueueFullError())
        }, this.options.queueTimeoutMs)
      }
      queue.push(waiter)
      this.bySource.set(source, queue)
      const inRound = this.rounds.get(round) ?? new Set<Waiter>()
      inRound.add(waiter)
      this.rounds.set(round, inRound)
      this.waiting++
    })
  }

  private release (): void {
    const next = this.next()
    if (next === undefined) {
      this.running--
      return
    }
    this.remove(next)
    if (next.round > this.currentRound) this.startRound(next.round, next.source)
    else this.servedInRound.add(next.source)
    next.start() // the slot passes straight to the next waiter
  }

  private startRound (round: number, servedFirst: string): void {
    this.currentRound = round
    this.servedInRound = new Set([servedFirst])
  }

  /** The first waiter of the lowest round (few rounds are ever open: about the per-source cap). */
  private next (): Waiter | undefined {
    let lowest: number | undefined
    for (const round of this.rounds.keys()) if (lowest === undefined || round < lowest) lowest = round
    if (lowest === undefined) return undefined
    return this.rounds.get(lowest)?.values().next().value
  }

  private remove (waiter: Waiter): void {
    const inRound = this.rounds.get(waiter.round)
    if (inRound?.delete(waiter) !== true) return
    if (inRound.size === 0) this.rounds.delete(waiter.round)
    const queue = this.bySource.get(waiter.source) ?? []
    queue.splice(queue.indexOf(waiter), 1)
    if (queue.length === 0) this.bySource.delete(waiter.source)
    this.waiting--
  }
}
