import t from 'tap'
import type { Config } from '../../src/config.js'
import { DEVELOPMENT_MAIL_LINE } from '../../src/mail/log-transport.js'
import { MailHeaderError, type OutgoingMail } from '../../src/mail/outgoing-mail.js'
import { freePort, sleep, waitFor } from '../child-process.js'
import { build } from '../helper.js'
import { buildWithLogs } from '../logs.js'
import { hasOpenssl, selfSigned, startSmtpServer } from '../src/mail/smtp-test-server.js'

const MAIL: OutgoingMail = { to: 'bob@example.com', toName: 'Bob', subject: 'Verify your email', text: 'Your code: 7d3e-1a2b', html: '<p>Your code: <b>7d3e-1a2b</b></p>' }
const fast = (config: Config) => { config.mail.timing = { pollIntervalMs: 50, leaseMs: 10_000, retryBaseMs: 40, retryMaxMs: 100, batchSize: 10 } }

const outboxRows = async (app: Awaited<ReturnType<typeof build>>) =>
  await app.store.handle.db.selectFrom('mail_outbox').selectAll().orderBy('id').execute()

t.test('development without SMTP_URL: the mail is one marked info line with recipient, subject and text', async t => {
  const { app, logs } = await buildWithLogs(t, { LOG_LEVEL: 'info' }, fast)
  t.equal(app.mail.delivery, 'log')
  await app.mail.enqueue(app.store.handle.db, MAIL)
  await waitFor('the development mail line', async () => logs.lines().some(l => l.msg === DEVELOPMENT_MAIL_LINE))
  const line = logs.lines().find(l => l.msg === DEVELOPMENT_MAIL_LINE)
  t.equal(line?.level, 30, 'at info')
  t.equal(line?.component, 'mail')
  t.same(line?.mail, { to: 'bob@example.com', subject: 'Verify your email', text: 'Your code: 7d3e-1a2b' })
  await waitFor('the mail marked sent', async () => (await outboxRows(app))[0]?.status === 'sent')
  t.match((await outboxRows(app))[0], { text_body: null, html_body: null })
})

t.test('production without SMTP_URL: no worker, the mail waits in the outbox, nothing of it is logged', async t => {
  const { app, logs } = await buildWithLogs(t, { NODE_ENV: 'production', LOG_LEVEL: 'info' }, fast)
  t.equal(app.mail.delivery, 'none')
  await app.mail.enqueue(app.store.handle.db, MAIL)
  await sleep(200)
  t.match(await outboxRows(app), [{ status: 'pending', attempts: 0, text_body: MAIL.text }])
  t.notMatch(logs.text(), /7d3e-1a2b/)
  t.match(logs.text(), /SMTP_URL is not set: mail is kept in the outbox/)
})

t.test('header injection through app.mail.enqueue is refused, nothing is written', async t => {
  const app = await build(t, {}, fast)
  await t.rejects(app.mail.enqueue(app.store.handle.db, { ...MAIL, toName: 'Bob\r\nBcc: all@example.com' }), MailHeaderError)
  await t.rejects(app.mail.enqueue(app.store.handle.db, { ...MAIL, to: 'bob@example.com\nBcc: all@example.com' }), MailHeaderError)
  t.same(await outboxRows(app), [])
})

if (!hasOpenssl()) {
  void t.skip('openssl is not installed: cannot make the SMTP server\'s certificate', () => {})
} else {
  const tls = selfSigned(t)

  t.test('SMTP: a mail enqueued in a transaction is sent after wake(), once, and its bodies are blanked', async t => {
    const server = await startSmtpServer(t, tls)
    const { app, logs } = await buildWithLogs(t, { SMTP_URL: server.url, SMTP_TLS_REJECT_UNAUTHORIZED: 'false', MAIL_FROM: 'Gatehouse <no-reply@example.com>' },
      config => { fast(config); config.mail.timing.pollIntervalMs = 60_000 })
    t.equal(app.mail.delivery, 'smtp')
    await app.store.handle.db.transaction().execute(async trx => { await app.mail.enqueue(trx, MAIL) })
    app.mail.wake()
    const [got] = await server.waitForMails(1)
    t.equal(got?.parsed.text?.trim(), MAIL.text)
    t.equal(got?.parsed.headers.get('auto-submitted'), 'auto-generated')
    await waitFor('the mail marked sent', async () => (await outboxRows(app))[0]?.status === 'sent')
    t.match((await outboxRows(app))[0], { status: 'sent', attempts: 1, text_body: null, html_body: null, recipient: 'bob@example.com', subject: 'Verify your email' })
    await sleep(200)
    t.equal(server.received.length, 1, 'sent once')
    await app.mail.enqueue(app.store.handle.db, { ...MAIL, subject: 'Outside a transaction' })
    const after = await server.waitForMails(2)
    t.equal(after[1]?.parsed.subject, 'Outside a transaction', 'outside a transaction enqueue wakes the worker itself (the poll is a minute here)')
    const text = logs.text()
    t.notMatch(text, /smtp-Pass|Pass%2Fword/, 'the SMTP password is in no log line')
    t.notMatch(text, /7d3e-1a2b/, 'nor the mail body')
    t.match(text, new RegExp(`"smtp":"smtp://127.0.0.1:${server.port}"`), 'the start line names the server without credentials')
  })

  t.test('SMTP down for good: after MAIL_MAX_ATTEMPTS the mail is failed, counted, and logged at warn without its body', async t => {
    const port = await freePort() // nothing listens there
    const { app, logs } = await buildWithLogs(t, {
      SMTP_URL: `smtp://mailer:secret@127.0.0.1:${port}`, MAIL_FROM: 'no-reply@example.com', MAIL_MAX_ATTEMPTS: '3', METRICS_PORT: String(await freePort())
    }, fast)
    const id = await app.mail.enqueue(app.store.handle.db, MAIL)
    await waitFor('the mail failed for good', async () => (await outboxRows(app))[0]?.status === 'failed')
    t.match((await outboxRows(app))[0], { id, status: 'failed', attempts: 3, text_body: null, html_body: null, last_error: /ECONNREFUSED/ })
    const metrics = await app.metrics.registry.metrics()
    t.match(metrics, /^gatehouse_mail_send_failures_total 3$/m, 'every failed attempt counted')
    t.match(metrics, /^gatehouse_mail_failed_total 1$/m, 'the mail failed for good counted')
    t.match(metrics, /^gatehouse_mail_sent_total 0$/m)
    t.match(metrics, /^gatehouse_mail_outbox_pending 0$/m)
    const warnings = logs.lines().filter(l => l.level === 40 && l.component === 'mail')
    t.same(warnings.map(l => [l.msg, l.attempt ?? l.attempts]), [
      ['mail delivery failed; will retry', 1],
      ['mail delivery failed; will retry', 2],
      ['mail failed for good: kept as failed in the outbox, not retried', 3]
    ])
    t.match(warnings[2], { mail_id: id, to: 'bob@example.com', subject: 'Verify your email', err: { message: /ECONNREFUSED/ } })
    t.notMatch(logs.text(), /7d3e-1a2b/, 'no mail body in the log')
    t.notMatch(logs.text(), /secret/, 'no SMTP password in the log')
  })

  t.test('metrics: the outbox depth counts the mails waiting', async t => {
    const port = await freePort()
    const app = await build(t, { SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_FROM: 'no-reply@example.com', METRICS_PORT: String(await freePort()) },
      config => { fast(config); config.mail.timing.retryBaseMs = 60_000; config.mail.timing.retryMaxMs = 60_000 })
    for (let i = 0; i < 3; i++) await app.mail.enqueue(app.store.handle.db, MAIL)
    await waitFor('three failed attempts', async () => /^gatehouse_mail_send_failures_total 3$/m.test(await app.metrics.registry.metrics()))
    t.match(await app.metrics.registry.metrics(), /^gatehouse_mail_outbox_pending 3$/m)
  })
}
