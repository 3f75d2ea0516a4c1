import t, { type Test } from 'tap'
import { buildApp } from '../../app.js'
import type { Config } from '../../src/config.js'
import { openStore } from '../../src/store/store.js'
import { loadKeySet } from '../../src/tokens/keys.js'
import { build, login, me, PASSWORD, refresh, tempDir, testConfig, form } from '../helper.js'
import { buildWithLogs } from '../logs.js'
import { redisForTest } from '../scale/redis-prefix.js'
import { hasOpenssl, selfSigned, startSmtpServer, type ReceivedMail, type TestSmtpServer } from '../src/mail/smtp-test-server.js'

const NEW_PASSWORD = 'Fresh-Kettle-Harbor-58'
const fast = (config: Config) => { config.mail.timing = { pollIntervalMs: 50, leaseMs: 10_000, retryBaseMs: 40, retryMaxMs: 100, batchSize: 10 } }

type App = Awaited<ReturnType<typeof build>>

const requestReset = async (app: App, payload: unknown, ip = '192.0.2.1') =>
  await app.inject({ method: 'POST', url: '/password-reset', payload: payload as Record<string, string>, remoteAddress: ip })
const confirmReset = async (app: App, token: string, password: string, ip = '192.0.2.1') =>
  await app.inject({ method: 'POST', url: '/password-reset/confirm', payload: { token, new_password: password }, remoteAddress: ip })

/** The token of a received reset mail: the code in its text part. */
function tokenIn (mail: ReceivedMail | undefined): string {
  const token = /Your code:\n([A-Za-z0-9_-]{43})\n/.exec(mail?.parsed.text ?? '')?.[1]
  if (token === undefined) throw new Error(`no token in the mail: ${mail?.parsed.text ?? '(none)'}`)
  return token
}

const register = async (app: App, username: string, extra: { email?: string, fullName?: string, disabled?: boolean } = {}) =>
  await app.userService.register({ username, password: PASSWORD, email: extra.email ?? null, fullName: extra.fullName ?? null, disabled: extra.disabled ?? false })

const outboxRecipients = async (app: App) =>
  (await app.store.handle.db.selectFrom('mail_outbox').select('recipient').orderBy('id').execute()).map(r => r.recipient)

t.test('both, neither or other fields are 400 invalid_request; so is a malformed email', async t => {
  const app = await build(t)
  for (const payload of [{}, { email: 'a@example.test', username: 'alice' }, { user: 'alice' }, { email: 'not an address' }, { username: '' }]) {
    const res = await requestReset(app, payload)
    t.equal(res.statusCode, 400, JSON.stringify(payload))
    t.equal(res.json().error, 'invalid_request')
  }
  const res = await app.inject({ method: 'POST', url: '/password-reset/confirm', payload: { token: 'x' } })
  t.match(res.json(), { error: 'invalid_request' })
})

t.test('every enumeration path answers alike (status, headers, body); only the enabled account with an email gets a mail', async t => {
  const app = await build(t)
  await register(app, 'alice', { email: 'alice@example.test' })
  await register(app, 'dora', { email: 'dora@example.test', disabled: true })
  await register(app, 'ned')
  const paths = [
    { email: 'alice@example.test' }, { username: 'alice' }, { email: 'nobody@example.test' }, { username: 'nobody' },
    { email: 'dora@example.test' }, { username: 'dora' }, { username: 'ned' }
  ]
  const shape = (res: Awaited<ReturnType<typeof requestReset>>) => {
    const { date: _date, ...headers } = res.headers
    return { status: res.statusCode, body: res.body, headers }
  }
  const answers = []
  for (const [i, payload] of paths.entries()) answers.push(shape(await requestReset(app, payload, `192.0.2.${10 + i}`)))
  t.same(answers[0], { status: 202, body: '{}', headers: answers[0]?.headers })
  for (const [i, answer] of answers.entries()) t.same(answer, answers[0], JSON.stringify(paths[i]))
  await app.passwordReset.settled()
  t.same(await outboxRecipients(app), ['alice@example.test', 'alice@example.test'], 'two mails, both to alice')
})

t.test('over the limits: 429 with Retry-After, the same for known and unknown addresses', async t => {
  const app = await build(t, { PASSWORD_RESET_MAX_PER_ADDRESS: '1', PASSWORD_RESET_MAX_PER_IP: '4', PASSWORD_RESET_WINDOW_MINUTES: '10' })
  await register(app, 'alice', { email: 'alice@example.test' })
  const answers = []
  for (const email of ['alice@example.test', 'nobody@example.test']) {
    t.equal((await requestReset(app, { email }, '192.0.2.1')).statusCode, 202)
    const res = await requestReset(app, { email: email.toUpperCase() }, '192.0.2.2')
    answers.push({ status: res.statusCode, body: res.json(), retryAfter: res.headers['retry-after'] })
  }
  t.same(answers[0], { status: 429, body: { error: 'too_many_requests', error_description: 'Too many password-reset requests, try again later' }, retryAfter: '600' })
  t.same(answers[1], answers[0])
  t.equal((await requestReset(app, { username: 'x1' }, '192.0.2.1')).statusCode, 202)
  t.equal((await requestReset(app, { username: 'x2' }, '192.0.2.1')).statusCode, 202)
  t.equal((await requestReset(app, { username: 'x3' }, '192.0.2.1')).statusCode, 429, 'per IP')
  t.equal((await requestReset(app, { username: 'x3' }, '192.0.2.3')).statusCode, 202, 'another IP')
})

t.test('with Redis, the limits are shared by every instance', async t => {
  const redis = await redisForTest(t)
  if (redis === undefined) return
  const env = { ...redis, PASSWORD_RESET_MAX_PER_ADDRESS: '2', PASSWORD_RESET_WINDOW_MINUTES: '5' }
  const one = await build(t, env)
  const two = await build(t, env)
  t.equal((await requestReset(one, { email: 'nobody@example.test' }, '192.0.2.1')).statusCode, 202)
  t.equal((await requestReset(two, { email: 'Nobody@example.test' }, '192.0.2.2')).statusCode, 202)
  const refused = await requestReset(one, { email: 'nobody@example.test' }, '192.0.2.3')
  t.equal(refused.statusCode, 429)
  t.ok(Number(refused.headers['retry-after']) > 0 && Number(refused.headers['retry-after']) <= 300)
  await one.passwordReset.settled()
  await two.passwordReset.settled()
})

t.test('a background request that fails is logged at error, without the token; the caller had its 202', async t => {
  const { app, logs } = await buildWithLogs(t, { LOG_LEVEL: 'info' })
  await register(app, 'alice', { email: 'alice@example.test' })
  let issued = ''
  app.store.accountTokens.issue = async (row) => { issued = row.hash; throw new Error('database unreachable') }
  t.equal((await requestReset(app, { username: 'alice' })).statusCode, 202)
  await app.passwordReset.settled()
  t.match(logs.lines().filter(l => l.level === 50), [{ component: 'password-reset', err: { message: 'database unreachable' }, msg: 'password reset request failed: no mail was sent' }])
  t.ok(issued.length > 0)
  t.notMatch(logs.text(), issued, 'not even the token\'s hash')
})

t.test('closing the app waits for the requests still being worked on', async t => {
  const dataDir = tempDir(t)
  const config = testConfig(t, { DATA_DIR: dataDir })
  const app = await buildApp({ config, keys: loadKeySet(config), logger: false })
  await register(app, 'alice', { email: 'alice@example.test' })
  // The background lookup is held until the close has begun.
  let release = () => {}
  const held = new Promise<void>(resolve => { release = resolve })
  const findByUsername = app.store.users.findByUsername
  app.store.users.findByUsername = async (username) => { await held; return await findByUsername(username) }
  t.equal((await requestReset(app, { username: 'alice' })).statusCode, 202)
  const closing = app.close()
  setTimeout(release, 50)
  await closing
  const store = await openStore({ databaseUrl: undefined, dataDir, poolSize: 1, sessionCacheSize: 10 })
  t.teardown(store.close)
  const rows = await store.handle.db.selectFrom('mail_outbox').select(['recipient', 'subject']).execute()
  t.same(rows, [{ recipient: 'alice@example.test', subject: 'Reset your password' }])
})

if (!hasOpenssl()) {
  void t.skip('openssl is not installed: cannot make the SMTP server\'s certificate', () => {})
} else {
  const tls = selfSigned(t)
  const withSmtp = async (t: Test, env: Record<string, string> = {}): Promise<{ app: App, server: TestSmtpServer, logs: Awaited<ReturnType<typeof buildWithLogs>>['logs'] }> => {
    const server = await startSmtpServer(t, tls)
    const { app, logs } = await buildWithLogs(t, { SMTP_URL: server.url, SMTP_TLS_REJECT_UNAUTHORIZED: 'false', MAIL_FROM: 'Gatehouse <no-reply@example.com>', ...env }, fast)
    return { app, server, logs }
  }

  t.test('end to end over SMTP: the mailed token resets the password, ends every session, lifts the lockout, and the change is mailed', async t => {
    const { app, server, logs } = await withSmtp(t, { LOGIN_MAX_FAILURES_PER_USER: '2' })
    await register(app, 'alice', { email: 'alice@example.test', fullName: 'Alice Liddell' })
    const before = await login(app, 'alice')
    for (const password of ['wrong-password-1', 'wrong-password-2']) {
      t.equal((await app.inject({ method: 'POST', url: '/token', ...form({ username: 'alice', password }) })).statusCode, 401)
    }
    t.equal((await app.inject({ method: 'POST', url: '/token', ...form({ username: 'alice', password: PASSWORD }) })).statusCode, 429, 'locked out')

    const asked = await requestReset(app, { email: 'Alice@Example.TEST' })
    t.equal(asked.statusCode, 202)
    t.same(asked.json(), {})
    const [mail] = await server.waitForMails(1)
    t.equal(mail?.secure, true, 'over STARTTLS')
    t.same(mail?.envelope.to, ['alice@example.test'])
    t.equal(mail?.parsed.subject, 'Reset your password')
    t.match(mail?.parsed.headers.get('to'), { value: [{ address: 'alice@example.test', name: 'Alice Liddell' }] })
    const token = tokenIn(mail)
    t.match(mail?.parsed.html, token, 'the HTML part carries the code too')

    const weak = await confirmReset(app, token, 'alice')
    t.equal(weak.statusCode, 400)
    t.equal(weak.json().error, 'invalid_request', 'the policy applies, and the token is not spent')
    const done = await confirmReset(app, token, NEW_PASSWORD)
    t.equal(done.statusCode, 204)
    t.equal(done.body, '')

    t.equal((await me(app, before.access_token)).statusCode, 401, 'the old access token fails at once')
    t.equal((await refresh(app, before.refresh_token)).statusCode, 400, 'the old refresh token is refused')
    t.equal((await app.inject({ method: 'POST', url: '/token', ...form({ username: 'alice', password: PASSWORD }) })).statusCode, 401, 'the old password fails')
    const after = await login(app, 'alice', NEW_PASSWORD)
    t.equal((await me(app, after.access_token)).statusCode, 200, 'the new password logs in right away: the lockout is lifted')

    const again = await confirmReset(app, token, 'Another-Kettle-Harbor-59')
    t.same({ status: again.statusCode, error: again.json().error }, { status: 400, error: 'invalid_grant' }, 'single use')

    const [, changed] = await server.waitForMails(2)
    t.equal(changed?.parsed.subject, 'Your password was changed')
    t.same(changed?.envelope.to, ['alice@example.test'])

    t.match(logs.audit('user.password_reset'), [{ username: 'alice', revoked_sessions: 1, actor: null }])
    t.notMatch(logs.text(), token, 'the token is in no log line')
    t.notMatch(logs.text(), NEW_PASSWORD)
  })

  t.test('a newer request ends the older token; an expired one is invalid_grant', async t => {
    const { app, server } = await withSmtp(t)
    await register(app, 'bob', { email: 'bob@example.test' })
    await requestReset(app, { username: 'bob' })
    const first = tokenIn((await server.waitForMails(1))[0])
    await requestReset(app, { username: 'bob' })
    const second = tokenIn((await server.waitForMails(2))[1])
    t.equal((await confirmReset(app, first, NEW_PASSWORD)).json().error, 'invalid_grant')
    // Expire the live token in the store: the TTL itself is covered by the domain tests with a clock.
    await app.store.handle.db.updateTable('account_tokens').set({ expires_at: Date.now() - 1 }).execute()
    t.equal((await confirmReset(app, second, NEW_PASSWORD)).json().error, 'invalid_grant')
    t.equal((await confirmReset(app, 'A'.repeat(43), NEW_PASSWORD)).json().error, 'invalid_grant', 'unknown')
  })

  t.test('header injection: a full name with CR/LF never reaches a header; the mail goes to its one recipient', async t => {
    const { app, server } = await withSmtp(t)
    await register(app, 'eve', { email: 'eve@example.test', fullName: 'Eve\r\nBcc: all@example.test' })
    t.equal((await requestReset(app, { username: 'eve' })).statusCode, 202)
    const [mail] = await server.waitForMails(1)
    t.same(mail?.envelope.to, ['eve@example.test'])
    t.equal(mail?.parsed.headers.get('bcc'), undefined)
    t.notMatch(mail?.raw, /^Bcc:/mi)
    t.match(mail?.parsed.headers.get('to'), { value: [{ address: 'eve@example.test', name: '' }] })
    t.equal(tokenIn(mail).length, 43)
    const injected = await requestReset(app, { email: 'eve@example.test\r\nBcc: all@example.test' })
    t.equal(injected.statusCode, 400, 'an address with a line break is refused by the schema')
    await app.passwordReset.settled()
    t.equal(server.received.length, 1)
  })
}
