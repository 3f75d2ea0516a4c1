import t from 'tap'
import { openStore } from '../../src/store/store.js'
import { freePort, requireBuild, serviceEnv, sleep, startService, waitFor } from '../child-process.js'
import { tempDir } from '../helper.js'
import { hasOpenssl, selfSigned, startSmtpServer } from '../src/mail/smtp-test-server.js'

requireBuild()
// Real processes on a shared 2-core machine: allow more than the default per-file budget.
t.setTimeout(120_000)

// Nothing is lost: a mail that could not be sent stays in the outbox across a
// restart of the service, and the next process delivers it once the SMTP
// server is back.

t.test('SMTP down → the mail stays in the outbox through a restart → delivered when the server is back', async t => {
  if (!hasOpenssl()) return t.skip('openssl is not installed: cannot make the SMTP server\'s certificate', () => {})
  const tls = selfSigned(t)
  const dataDir = tempDir(t)
  const smtpPort = await freePort() // nothing listens there yet: SMTP is down
  const env = (port: number) => serviceEnv(dataDir, port, {
    SMTP_URL: `smtp://mailer:${encodeURIComponent('smtp-Pass/word:42')}@127.0.0.1:${smtpPort}`,
    SMTP_TLS_REJECT_UNAUTHORIZED: 'false',
    MAIL_FROM: 'Gatehouse <no-reply@example.com>'
  })

  const first = await startService(t, env(await freePort()), { until: 'ready' })
  // The test writes the mail as a feature would, in its own connection to the service's SQLite file.
  const store = await openStore({ databaseUrl: undefined, dataDir, poolSize: 1 })
  t.teardown(store.close)
  const id = await store.outbox.enqueue(store.handle.db, { to: 'carol@example.com', subject: 'Your password was changed', text: 'If this was not you, write to us.', html: '<p>If this was not you, write to us.</p>' })
  const row = async () => await store.handle.db.selectFrom('mail_outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
  await waitFor('a failed attempt', async () => { const r = await row(); return r.attempts === 1 && r.claim_token === null }, 300, 100)
    .catch((err: unknown) => { t.comment(first.output()); throw err })
  t.match(await row(), { status: 'pending', attempts: 1, last_error: /ECONNREFUSED/ }, 'kept, with the reason')
  // The row's update is committed before the worker's log line has crossed the pipe to this process.
  const warning = /"level":40.*"msg":"mail delivery failed; will retry"/
  await waitFor('the warning line', async () => warning.test(first.stdout()), 50, 100).catch(() => {})
  t.match(first.stdout(), warning, 'the failed attempt is a warning')
  t.equal(await first.stop(), 0, 'the first process stops cleanly (SIGTERM)')
  t.match(await row(), { status: 'pending', attempts: 1 }, 'still in the outbox after the process ended')

  const server = await startSmtpServer(t, tls, { port: smtpPort })
  // The retry was set for 15 to 30 s later; time passes: it is due now.
  await store.handle.db.updateTable('mail_outbox').set({ next_attempt_at: Date.now() }).where('id', '=', id).execute()
  const second = await startService(t, env(await freePort()), { until: 'ready' })
  const [got] = await server.waitForMails(1)
  t.equal(got?.parsed.subject, 'Your password was changed', 'delivered by the restarted service')
  t.ok(got?.secure, 'over STARTTLS')
  await waitFor('the mail marked sent', async () => (await row()).status === 'sent')
  t.match(await row(), { status: 'sent', attempts: 2, text_body: null, html_body: null })
  await sleep(1500) // more than a poll interval: nothing is sent twice
  t.equal(server.received.length, 1, 'sent once')
  t.equal(await second.stop(), 0)
  t.notMatch(first.output() + second.output(), /smtp-Pass|Pass%2Fword/, 'the SMTP password is never logged')
})
