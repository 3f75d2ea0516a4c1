import t from 'tap'
import type { MailTransport } from '../../../src/mail/mail-transport.js'
import { OUTBOX_TIMING, retryDelayMs, startOutboxWorker, type OutboxTiming } from '../../../src/mail/outbox-worker.js'
import type { OutgoingMail } from '../../../src/mail/outgoing-mail.js'
import { openTestStore } from '../store/dialects.js'
import { sleep, waitFor } from '../../child-process.js'

const FAST: OutboxTiming = { pollIntervalMs: 20, leaseMs: 5000, retryBaseMs: 20, retryMaxMs: 80, batchSize: 10 }
const mail = (n: number): OutgoingMail => ({ to: `u${n}@example.com`, subject: `Mail ${n}`, text: `text ${n}`, html: `<p>${n}</p>` })

t.test('retry delay: doubles from the base, capped, with half of it random', async t => {
  const timing = { retryBaseMs: 30_000, retryMaxMs: 3_600_000 }
  t.same([1, 2, 3].map(n => retryDelayMs(n, timing, () => 1)), [30_000, 60_000, 120_000], 'at most base × 2^(n-1)')
  t.same([1, 2, 3].map(n => retryDelayMs(n, timing, () => 0)), [15_000, 30_000, 60_000], 'at least half of it')
  t.equal(retryDelayMs(40, timing, () => 1), 3_600_000, 'capped')
  t.same(OUTBOX_TIMING, { pollIntervalMs: 1000, leaseMs: 120_000, retryBaseMs: 30_000, retryMaxMs: 3_600_000, batchSize: 10 })
})

/** A transport that fails its next `failures` sends, and records what it sent. */
function flakyTransport (): MailTransport & { failures: number, sent: OutgoingMail[], closed: boolean } {
  const transport = {
    failures: 0,
    sent: [] as OutgoingMail[],
    closed: false,
    async send (m: OutgoingMail) {
      if (transport.failures > 0) {
        transport.failures--
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ESOCKET' })
      }
      transport.sent.push(m)
    },
    close () { transport.closed = true }
  }
  return transport
}

t.test('worker: retries through an outage, gives up after maxAttempts, tells each event', async t => {
  const store = await openTestStore(t, 'sqlite')
  if (store === undefined) return
  const transport = flakyTransport()
  transport.failures = Infinity
  const events: string[] = []
  const worker = startOutboxWorker({
    outbox: store.outbox,
    transport,
    maxAttempts: 3,
    timing: FAST,
    events: {
      sent: m => { events.push(`sent ${m.id}`) },
      attemptFailed: (m, err, retryInMs) => { events.push(`retry ${m.id} #${m.attempts} ${err.message}`); t.ok(retryInMs >= 10 && retryInMs <= 80) },
      failedForGood: (m) => { events.push(`failed ${m.id} #${m.attempts}`) },
      outboxFailed: err => { events.push(`outbox ${err.message}`) }
    }
  })
  t.teardown(worker.close)
  const doomed = await store.outbox.enqueue(store.handle.db, mail(1))
  worker.wake()
  await waitFor('mail 1 to fail for good', async () => events.includes(`failed ${doomed} #3`))
  t.same(events, [`retry ${doomed} #1 connect ECONNREFUSED 127.0.0.1:1`, `retry ${doomed} #2 connect ECONNREFUSED 127.0.0.1:1`, `failed ${doomed} #3`])
  const row = await store.handle.db.selectFrom('mail_outbox').selectAll().where('id', '=', doomed).executeTakeFirstOrThrow()
  t.match(row, { status: 'failed', attempts: 3, text_body: null, html_body: null, last_error: 'ESOCKET connect ECONNREFUSED 127.0.0.1:1' })

  transport.failures = 2
  const saved = await store.outbox.enqueue(store.handle.db, mail(2))
  worker.wake()
  await waitFor('mail 2 to be sent', async () => events.includes(`sent ${saved}`))
  t.same(events.slice(3), [`retry ${saved} #1 connect ECONNREFUSED 127.0.0.1:1`, `retry ${saved} #2 connect ECONNREFUSED 127.0.0.1:1`, `sent ${saved}`])
  t.same(transport.sent.map(m => m.subject), ['Mail 2'], 'sent once, when the server was back')
  t.equal(await store.outbox.pendingCount(), 0)
})

t.test('worker: an outbox outage is told once, and sending resumes after it', async t => {
  const store = await openTestStore(t, 'sqlite')
  if (store === undefined) return
  let broken = true
  const outbox = {
    ...store.outbox,
    claimDue: async (options: Parameters<typeof store.outbox.claimDue>[0]) => {
      if (broken) throw new Error('SQLITE_BUSY')
      return await store.outbox.claimDue(options)
    }
  }
  const transport = flakyTransport()
  const told: string[] = []
  const worker = startOutboxWorker({
    outbox,
    transport,
    maxAttempts: 3,
    timing: FAST,
    events: { sent: () => {}, attemptFailed: () => {}, failedForGood: () => {}, outboxFailed: err => { told.push(err.message) } }
  })
  t.teardown(worker.close)
  await store.outbox.enqueue(store.handle.db, mail(1))
  await sleep(200)
  t.same(told, ['SQLITE_BUSY'], 'one line for the outage, not one per poll')
  broken = false
  await waitFor('the mail to be sent', async () => transport.sent.length === 1)
})

t.test('worker: close finishes the mail being sent, gives back the rest unattempted, closes the transport', async t => {
  const store = await openTestStore(t, 'sqlite')
  if (store === undefined) return
  for (let i = 0; i < 3; i++) await store.outbox.enqueue(store.handle.db, mail(i))
  let release: () => void = () => {}
  const started: string[] = []
  const transport = {
    closed: false,
    async send (m: OutgoingMail) {
      started.push(m.subject)
      await new Promise<void>(resolve => { release = resolve })
    },
    close () { transport.closed = true }
  }
  const worker = startOutboxWorker({
    outbox: store.outbox,
    transport,
    maxAttempts: 3,
    timing: FAST,
    events: { sent: () => {}, attemptFailed: () => {}, failedForGood: () => {}, outboxFailed: () => {} }
  })
  await waitFor('the first send to start', async () => started.length === 1)
  const closing = worker.close()
  await sleep(50)
  t.notOk(transport.closed, 'waits for the mail in flight')
  release()
  await closing
  t.ok(transport.closed)
  t.same(started, ['Mail 0'], 'nothing more is sent once closing')
  const rows = await store.handle.db.selectFrom('mail_outbox').select(['subject', 'status', 'attempts', 'claim_token']).orderBy('id').execute()
  t.same(rows, [
    { subject: 'Mail 0', status: 'sent', attempts: 1, claim_token: null },
    { subject: 'Mail 1', status: 'pending', attempts: 0, claim_token: null },
    { subject: 'Mail 2', status: 'pending', attempts: 0, claim_token: null }
  ], 'the unattempted mails are due again at once, for the next start')
})
