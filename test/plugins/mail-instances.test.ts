import t from 'tap'
import type { Config } from '../../src/config.js'
import { freePort, sleep, waitFor } from '../child-process.js'
import { build } from '../helper.js'
import { hasOpenssl, selfSigned, startSmtpServer } from '../src/mail/smtp-test-server.js'
import { postgresSchema } from '../src/store/postgres-schema.js'

t.setTimeout(120_000)

const fast = (config: Config) => { config.mail.timing = { pollIntervalMs: 50, leaseMs: 30_000, retryBaseMs: 40, retryMaxMs: 100, batchSize: 5 } }
const sentTotal = async (app: Awaited<ReturnType<typeof build>>) =>
  Number(/^gatehouse_mail_sent_total (\d+)$/m.exec(await app.metrics.registry.metrics())?.[1])

t.test('two instances on one PostgreSQL schema deliver each of 50 mails exactly once', async t => {
  if (!hasOpenssl()) return t.skip('openssl is not installed: cannot make the SMTP server\'s certificate', () => {})
  const pg = await postgresSchema(t)
  if (pg === undefined) return
  const server = await startSmtpServer(t, selfSigned(t))
  const env = async () => ({
    DATABASE_URL: pg.url, SMTP_URL: server.url, SMTP_TLS_REJECT_UNAUTHORIZED: 'false', MAIL_FROM: 'no-reply@example.com', METRICS_PORT: String(await freePort())
  })
  const [a, b] = await Promise.all([build(t, await env(), fast), build(t, await env(), fast)])
  // One transaction, then both woken at once: the two workers claim from the same 50 due mails.
  await a.store.handle.db.transaction().execute(async trx => {
    for (let i = 0; i < 50; i++) await a.mail.enqueue(trx, { to: `user${i}@example.com`, subject: `Mail ${i}`, text: `code ${i}`, html: `<p>code ${i}</p>` })
  })
  a.mail.wake()
  b.mail.wake()
  await server.waitForMails(50)
  await waitFor('every mail marked sent', async () => await a.store.outbox.pendingCount() === 0)
  await sleep(500) // several poll intervals: a second sending would show now
  const subjects = server.received.map(m => m.parsed.subject ?? '')
  t.equal(subjects.length, 50, 'exactly 50 mails arrived')
  t.same([...new Set(subjects)].sort(), Array.from({ length: 50 }, (_, i) => `Mail ${i}`).sort(), 'each mail once')
  const [byA, byB] = [await sentTotal(a), await sentTotal(b)]
  t.equal(byA + byB, 50)
  t.ok(byA > 0 && byB > 0, `both instances sent (${byA} + ${byB})`)
  const rows = await a.store.handle.db.selectFrom('mail_outbox').select(['status', 'attempts']).execute()
  t.ok(rows.every(r => r.status === 'sent' && Number(r.attempts) === 1), 'every mail sent at its first attempt: no claim was taken twice')
})
