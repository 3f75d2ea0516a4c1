import { MailHeaderError, type OutgoingMail } from '../../../src/mail/outgoing-mail.js'
import { createOutboxRepository } from '../../../src/store/outbox-repository.js'
import type { Store } from '../../../src/store/store.js'
import { eachDialect } from './dialects.js'

const mail = (n: number): OutgoingMail => ({ to: `user${n}@example.com`, toName: `User ${n}`, subject: `Mail ${n}`, text: `code ${n}`, html: `<p>code ${n}</p>` })

const rowOf = async (store: Store, id: number) =>
  await store.handle.db.selectFrom('mail_outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow()

eachDialect('outbox: enqueued in the caller\'s transaction, or not at all', async (t, store) => {
  const db = store.handle.db
  await t.rejects(db.transaction().execute(async trx => {
    await store.outbox.enqueue(trx, mail(1))
    throw new Error('the token write failed')
  }), /token write failed/)
  t.equal(await store.outbox.pendingCount(), 0, 'rolled back with the transaction')
  const id = await db.transaction().execute(async trx => await store.outbox.enqueue(trx, mail(2)))
  t.equal(await store.outbox.pendingCount(), 1, 'committed with the transaction')
  t.match(await rowOf(store, id), { recipient: 'user2@example.com', recipient_name: 'User 2', subject: 'Mail 2', status: 'pending', attempts: 0 })
})

eachDialect('outbox: claim, lease, sent (bodies blanked), retry and failed for good', async (t, store) => {
  let clock = Date.now()
  const outbox = createOutboxRepository(store.handle.db, store.dialect, () => clock)
  const first = await outbox.enqueue(store.handle.db, mail(1))
  const second = await outbox.enqueue(store.handle.db, mail(2))

  const claimed = await outbox.claimDue({ limit: 10, leaseMs: 60_000 })
  t.same(claimed.map(m => m.id), [first, second], 'both due mails, oldest first')
  t.match(claimed[0], { to: 'user1@example.com', toName: 'User 1', subject: 'Mail 1', text: 'code 1', html: '<p>code 1</p>', attempts: 1 })
  t.same(await outbox.claimDue({ limit: 10, leaseMs: 60_000 }), [], 'claimed mails are not due during their lease')

  const [one, two] = claimed as [typeof claimed[0], typeof claimed[0]]
  t.ok(await outbox.markSent(one))
  t.match(await rowOf(store, first), { status: 'sent', text_body: null, html_body: null, claim_token: null })
  t.equal(await outbox.pendingCount(), 1)

  // The worker holding mail 2 dies: after the lease it is due again, for a new claim.
  clock += 60_001
  const again = await outbox.claimDue({ limit: 10, leaseMs: 60_000 })
  t.same(again.map(m => [m.id, m.attempts]), [[second, 2]], 'due again after the lease, the lost attempt counted')
  t.notOk(await outbox.markSent(two), 'the dead claim can no longer settle the mail')
  t.ok(await outbox.markFailed(again[0]!, 'connection refused', clock + 5000))
  t.match(await rowOf(store, second), { status: 'pending', last_error: 'connection refused', text_body: 'code 2' })
  t.same(await outbox.claimDue({ limit: 10, leaseMs: 60_000 }), [], 'not due before retryAt')
  clock += 5000
  const third = await outbox.claimDue({ limit: 10, leaseMs: 60_000 })
  t.equal(third[0]?.attempts, 3)
  t.ok(await outbox.markFailed(third[0]!, 'x'.repeat(2000), undefined))
  const failed = await rowOf(store, second)
  t.match(failed, { status: 'failed', text_body: null, html_body: null, attempts: 3 })
  t.equal(failed.last_error?.length, 500, 'the error is kept, cut to its column')
  t.equal(await outbox.pendingCount(), 0)
  clock += 86_400_000
  t.same(await outbox.claimDue({ limit: 10, leaseMs: 60_000 }), [], 'sent and failed mails are never due')
})

eachDialect('outbox: a released mail is due at once, its attempt not counted', async (t, store) => {
  const id = await store.outbox.enqueue(store.handle.db, mail(1))
  const [claimed] = await store.outbox.claimDue({ limit: 1, leaseMs: 60_000 })
  await store.outbox.release(claimed!)
  const [again] = await store.outbox.claimDue({ limit: 1, leaseMs: 60_000 })
  t.same([again?.id, again?.attempts], [id, 1])
})

eachDialect('outbox: header injection is refused before anything is written', async (t, store) => {
  const db = store.handle.db
  const attempts: Array<Partial<OutgoingMail>> = [
    { to: 'victim@example.com\r\nBcc: everyone@example.com' },
    { to: 'a@example.com, b@example.com' },
    { to: 'Mallory <m@example.com>' },
    { to: 'not-an-address' },
    { toName: 'Alice\r\nBcc: everyone@example.com' },
    { toName: 'Alice\nX-Injected: 1' },
    { subject: 'Hello\r\nBcc: everyone@example.com' },
    { subject: '' }
  ]
  for (const bad of attempts) {
    await t.rejects(store.outbox.enqueue(db, { ...mail(1), ...bad }), MailHeaderError, JSON.stringify(bad))
  }
  t.equal(await store.outbox.pendingCount(), 0)
  await store.outbox.enqueue(db, { ...mail(1), toName: 'Zoë O\'Brien, "the admin"', subject: 'Ünïcode: ok' })
  t.equal(await store.outbox.pendingCount(), 1, 'names and subjects with quotes, commas and non-ASCII are fine')
})

eachDialect('outbox: concurrent claims never take one mail twice', async (t, store) => {
  for (let i = 0; i < 40; i++) await store.outbox.enqueue(store.handle.db, mail(i))
  const batches = await Promise.all(Array.from({ length: 8 }, async () => await store.outbox.claimDue({ limit: 3, leaseMs: 60_000 })))
  const ids = batches.flat().map(m => m.id)
  t.equal(new Set(ids).size, ids.length, 'no mail in two claims')
  t.ok(ids.length > 0)
  t.ok(batches.every(b => b.length <= 3), `no claim takes more than its limit (${batches.map(b => b.length).join(', ')})`)
  t.equal((await store.outbox.claimDue({ limit: 5, leaseMs: 60_000 })).length, 5, 'a claim takes its limit when more are due')
})
