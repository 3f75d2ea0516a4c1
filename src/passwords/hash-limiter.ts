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
  /** Hashes running at once, for any source. */
  concurrency: number
  /**
   * Slots beyond `concurrency` that only a source with no hash running may
   * take: while one source (a flood) holds every regular slot, another
   * source's login starts at once instead of after the hash in progress.
   */
  reservedSlots?: number
  /** Waiters at most, all sources together. */
  maxQueue: number
  /** Waiters at most from one source, so that one source cannot fill the queue. */
  maxQueuePerSource: number
  /** How long a waiter may wait for its slot. */
  queueTimeoutMs: number
}

export type Slot = 'regular' | 'reserved'

interface Waiter {
  source: string
  round: number
  start: (slot: Slot) => void
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
 *
 * Hashing cannot be interrupted, so with one regular slot a newcomer would
 * still wait for the flood's hash in progress: up to two hashes in all. The
 * reserved slots close that gap: they go (in the same round order) only to
 * waiters whose source has nothing running, so a source that keeps the
 * regular slots busy never gets one, and another source's login takes one hash.
 */
export class HashLimiter {
  private running = 0
  private reservedRunning = 0
  private waiting = 0
  /** Hashes running per source (either kind of slot). */
  private readonly runningBySource = new Map<string, number>()
  /** Waiters by round; a Set keeps the order of arrival and deletes in O(1). */
  private readonly rounds = new Map<number, Set<Waiter>>()
  /** Each source's waiters in order of arrival (their rounds increase). */
  private readonly bySource = new Map<string, Waiter[]>()
  /** The round of the last slot given. */
  private currentRound = 0
  /** The sources given a slot in the current round. */
  private servedInRound = new Set<string>()
  private readonly reservedSlots: number

  constructor (private readonly options: HashLimiterOptions) {
    this.reservedSlots = options.reservedSlots ?? 0
  }

  get active (): number { return this.running + this.reservedRunning }
  get queued (): number { return this.waiting }

  /** Runs `task` in a slot (it is told which kind), after the waiters ahead of it; `source` is the key fairness is kept between. */
  async run<T> (source: string, task: (slot: Slot) => Promise<T>): Promise<T> {
    const slot = await this.acquire(source)
    try {
      return await task(slot)
    } finally {
      this.release(source, slot)
    }
  }

  private async acquire (source: string): Promise<Slot> {
    if (this.running < this.options.concurrency) {
      // A free regular slot means nobody is waiting: rounds start afresh.
      this.occupy(source, 'regular')
      this.startRound(this.currentRound + 1, source)
      return 'regular'
    }
    if (this.reservedRunning < this.reservedSlots && !this.runningBySource.has(source)) {
      // A free reserved slot means no waiter may take it (see dispatch): nobody is passed over.
      this.occupy(source, 'reserved')
      this.servedInRound.add(source)
      return 'reserved'
    }
    const queue = this.bySource.get(source) ?? []
    if (this.waiting >= this.options.maxQueue || queue.length >= this.options.maxQueuePerSource) throw new HashQueueFullError()
    const last = queue.at(-1)
    const round = last !== undefined
      ? Math.max(this.currentRound, last.round + 1)
      : this.servedInRound.has(source) ? this.currentRound + 1 : this.currentRound
    return await new Promise<Slot>((resolve, reject) => {
      const waiter: Waiter = {
        source,
        round,
        start: (slot) => { clearTimeout(waiter.timer); resolve(slot) },
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

  private release (source: string, slot: Slot): void {
    if (slot === 'regular') this.running--
    else this.reservedRunning--
    const left = (this.runningBySource.get(source) ?? 1) - 1
    if (left === 0) this.runningBySource.delete(source)
    else this.runningBySource.set(source, left)
    this.dispatch()
  }

  /** Hands free slots to waiters, synchronously, so that no newcomer can take a slot a waiter is owed. */
  private dispatch (): void {
    while (this.running < this.options.concurrency) {
      const next = this.next(() => true)
      if (next === undefined) break
      this.serve(next, 'regular')
    }
    while (this.reservedRunning < this.reservedSlots) {
      const next = this.next(waiter => !this.runningBySource.has(waiter.source))
      if (next === undefined) break
      this.serve(next, 'reserved')
    }
  }

  private serve (waiter: Waiter, slot: Slot): void {
    this.remove(waiter)
    if (waiter.round > this.currentRound) this.startRound(waiter.round, waiter.source)
    else this.servedInRound.add(waiter.source)
    this.occupy(waiter.source, slot)
    waiter.start(slot)
  }

  private occupy (source: string, slot: Slot): void {
    if (slot === 'regular') this.running++
    else this.reservedRunning++
    this.runningBySource.set(source, (this.runningBySource.get(source) ?? 0) + 1)
  }

  private startRound (round: number, servedFirst: string): void {
    this.currentRound = round
    this.servedInRound = new Set([servedFirst])
  }

  /** The first waiter that `may` run, lowest round first (few rounds are ever open: about the per-source cap). */
  private next (may: (waiter: Waiter) => boolean): Waiter | undefined {
    const open = [...this.rounds.keys()].sort((a, b) => a - b)
    for (const round of open) {
      for (const waiter of this.rounds.get(round) ?? []) if (may(waiter)) return waiter
    }
    return undefined
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
