import type { ClaimedMail, OutboxRepository } from '../store/outbox-repository.js'
import type { MailTransport } from './mail-transport.js'

export interface OutboxTiming {
  /** How often an idle worker looks for due mail (an enqueue in this process wakes it at once). */
  pollIntervalMs: number
  /** How long a claimed mail is this worker's; longer than any send can take (see smtp-transport.ts). */
  leaseMs: number
  /** The wait after the first failed attempt; it doubles with each further one, up to retryMaxMs, with jitter. */
  retryBaseMs: number
  retryMaxMs: number
  /** Mails claimed at once. */
  batchSize: number
}

export const OUTBOX_TIMING: OutboxTiming = { pollIntervalMs: 1000, leaseMs: 120_000, retryBaseMs: 30_000, retryMaxMs: 3_600_000, batchSize: 10 }

export interface OutboxWorkerEvents {
  sent: (mail: ClaimedMail) => void
  attemptFailed: (mail: ClaimedMail, err: Error, retryInMs: number) => void
  failedForGood: (mail: ClaimedMail, err: Error) => void
  /** The outbox could not be read or written; told once per outage, not on every poll. */
  outboxFailed: (err: Error) => void
}

export interface OutboxWorkerOptions {
  outbox: Pick<OutboxRepository, 'claimDue' | 'markSent' | 'markFailed' | 'release'>
  transport: MailTransport
  maxAttempts: number
  timing: OutboxTiming
  events: OutboxWorkerEvents
  now?: () => number
  random?: () => number
}

export interface OutboxWorker {
  /** Look for due mail now (after an enqueue has committed). */
  wake: () => void
  /** Stops: the mail being sent is finished, claimed ones not yet tried are given back; then the transport closes. */
  close: () => Promise<void>
}

/**
 * The wait before the next attempt after `attempts` failed ones: exponential,
 * capped, with jitter (half fixed, half random) so that instances retrying
 * after one outage do not all call the server at the same moment.
 */
export function retryDelayMs (attempts: number, timing: Pick<OutboxTiming, 'retryBaseMs' | 'retryMaxMs'>, random: () => number = Math.random): number {
  const full = Math.min(timing.retryMaxMs, timing.retryBaseMs * 2 ** Math.min(attempts - 1, 30))
  return Math.round(full / 2 + random() * full / 2)
}

const asError = (err: unknown): Error => err instanceof Error ? err : new Error(String(err))

/** What the outbox keeps of a failure: SMTP code and reply, no mail content. */
function describe (err: Error): string {
  const { code, responseCode } = err as Error & { code?: unknown, responseCode?: unknown }
  return [typeof code === 'string' ? code : undefined, typeof responseCode === 'number' ? String(responseCode) : undefined, err.message]
    .filter(part => part !== undefined).join(' ')
}

/**
 * Sends the outbox's due mails, one at a time, until closed. Durable: all
 * state is in the outbox, so a restart (or another instance) carries on
 * where this one stopped; a mail whose sender died is retried after its lease.
 * Delivery is at least once: a crash between the server's acceptance and
 * the outbox update sends that mail again after the lease.
 */
export function startOutboxWorker (options: OutboxWorkerOptions): OutboxWorker {
  const { outbox, transport, maxAttempts, timing, events } = options
  const now = options.now ?? Date.now
  const random = options.random ?? Math.random
  let stopping = false
  let woken = false
  let interrupt: (() => void) | undefined
  let outboxDown = false

  const pause = async (ms: number): Promise<void> => {
    if (woken || stopping) return
    await new Promise<void>(resolve => {
      const finish = () => { clearTimeout(timer); interrupt = undefined; resolve() }
      const timer = setTimeout(finish, ms)
      interrupt = finish
    })
  }

  const outboxFailed = (err: unknown) => {
    if (!outboxDown) events.outboxFailed(asError(err))
    outboxDown = true
  }

  async function deliver (mail: ClaimedMail): Promise<void> {
    try {
      await transport.send(mail)
    } catch (err) {
      const error = asError(err)
      const retryInMs = mail.attempts >= maxAttempts ? undefined : retryDelayMs(mail.attempts, timing, random)
      try {
        await outbox.markFailed(mail, describe(error), retryInMs === undefined ? undefined : now() + retryInMs)
      } catch (markErr) {
        outboxFailed(markErr) // the mail stays claimed: tried again after its lease
        return
      }
      if (retryInMs === undefined) events.failedForGood(mail, error)
      else events.attemptFailed(mail, error, retryInMs)
      return
    }
    events.sent(mail)
    // Not marked (the store is down): sent again after the lease, the at-least-once case.
    await outbox.markSent(mail).catch(outboxFailed)
  }

  async function run (): Promise<void> {
    while (!stopping) {
      woken = false
      let batch: ClaimedMail[]
      try {
        batch = await outbox.claimDue({ limit: timing.batchSize, leaseMs: timing.leaseMs })
        outboxDown = false
      } catch (err) {
        outboxFailed(err)
        await pause(timing.pollIntervalMs)
        continue
      }
      for (const [i, mail] of batch.entries()) {
        if (stopping) {
          await Promise.all(batch.slice(i).map(async m => { await outbox.release(m).catch(() => {}) }))
          break
        }
        await deliver(mail)
      }
      // A full batch: more may be due at once.
      if (batch.length < timing.batchSize) await pause(timing.pollIntervalMs)
    }
  }

  const running = run().catch((err: unknown) => { events.outboxFailed(asError(err)) })
  return {
    wake () {
      woken = true
      interrupt?.()
    },
    async close () {
      stopping = true
      interrupt?.()
      await running
      transport.close()
    }
  }
}
