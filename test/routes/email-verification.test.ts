import { decodeJwt } from 'jose'
import t, { type Test } from 'tap'
import type { Config } from '../../src/config.js'
import { DEVELOPMENT_MAIL_LINE } from '../../src/mail/log-transport.js'
import { freePort, waitFor } from '../child-process.js'
import { addClient, basicAuth, bearer, build, form, login, me, PASSWORD, refresh } from '../helper.js'
import { buildWithLogs } from '../logs.js'
import { hasOpenssl, selfSigned, startSmtpServer, type ReceivedMail, type TestSmtpServer } from '../src/mail/smtp-test-server.js'
import { postgresSchema } from '../src/store/postgres-schema.js'

// Issue 17, verified email, end to end over HTTP: a real SMTP server in this
// process receives every mail, and each flow is completed with the token read
// out of the message it got.

type App = Awaited<ReturnType<typeof build>>

const fast = (config: Config) => { config.mail.timing = { pollIntervalMs: 50, leaseMs: 10_000, retryBaseMs: 40, retryMaxMs: 100, batchSize: 10 } }

/** The token of a verification mail: the code (no APP_VERIFY_URL) or the link's. */
function tokenOf (mail: ReceivedMail | undefined): string {
  const text = mail?.parsed.text ?? ''
  const found = /Your code:\n([A-Za-z0-9_-]{43})\n/.exec(text) ?? /[?&]token=([A-Za-z0-9_-]{43})\b/.exec(text)
  if (found?.[1] === undefined) throw new Error(`no token in the mail: ${text}`)
  return found[1]
}

/** Mails to one address, in the order received. */
const mailsTo = (server: TestSmtpServer, address: string) => server.received.filter(m => m.envelope.to.includes(address))

/** Every mail written to the outbox so far (sent or not): what was mailed, without waiting for SMTP. */
async function outbox (app: App): Promise<Array<{ recipient: string, subject: string }>> {
  return await app.store.handle.db.selectFrom('mail_outbox').select(['recipient', 'subject']).orderBy('id').execute()
}

async function setup (t: Test, env: Record<string, string> = {}, tls = selfSigned(t)): Promise<{ app: App, server: TestSmtpServer }> {
  const server = await startSmtpServer(t, tls)
  const app = await build(t, { SMTP_URL: server.url, SMTP_TLS_REJECT_UNAUTHORIZED: 'false', MAIL_FROM: 'Gatehouse <no-reply@example.com>', ...env }, fast)
  return { app, server }
}

async function addUserWithEmail (app: App, username: string, email: string | null, emailVerified = false): Promise<void> {
  await app.userService.register({ username, password: PASSWORD, email, emailVerified })
}

/** Moves every link already mailed `seconds` into the past: the resend windows are measured from the newest. */
async function linksMailedAgo (app: App, seconds: number): Promise<void> {
  await app.store.handle.db.updateTable('account_tokens').set({ created_at: Date.now() - seconds * 1000 }).execute()
}

const post = async (app: App, url: string, token: string | undefined, payload?: object) =>
  await app.inject({ method: 'POST', url, headers: token === undefined ? {} : bearer(token), ...(payload === undefined ? {} : { payload }) })
const confirm = async (app: App, token: string) => await post(app, '/email-verification/confirm', undefined, { token })
const patchMe = async (app: App, token: string, payload: object) => await app.inject({ method: 'PATCH', url: '/users/me', headers: bearer(token), payload })

if (!hasOpenssl()) {
  void t.skip('openssl is not installed: cannot make the SMTP server\'s certificate', () => {})
} else {
  const tls = selfSigned(t)

  t.test('verify: the mailed code confirms the address once; /users/me and the next token say so at once', async t => {
    const { app, server } = await setup(t, {}, tls)
    await addUserWithEmail(app, 'alice', 'alice@example.com')
    const tokens = await login(app, 'alice')
    t.equal(decodeJwt(tokens.access_token).email_verified, false, 'the claim is there, false')
    t.match((await me(app, tokens.access_token)).json(), { email: 'alice@example.com', email_verified: false })

    const sent = await post(app, '/users/me/email/verify', tokens.access_token)
    t.equal(sent.statusCode, 202)
    t.same(sent.json(), {})
    const [mail] = await server.waitForMails(1)
    t.equal(mail?.parsed.subject, 'Confirm your email address')
    t.same(mail?.envelope.to, ['alice@example.com'])
    t.match(mail?.parsed.text, new RegExp(`Send it to POST ${app.config.publicUrl}/email-verification/confirm`))

    const again = await post(app, '/users/me/email/verify', tokens.access_token)
    t.equal(again.statusCode, 429, 'a second mail moments later is refused')
    t.equal(again.json().error, 'too_many_requests')
    t.ok(Number(again.headers['retry-after']) >= 1 && Number(again.headers['retry-after']) <= 60, 'with Retry-After')

    t.equal((await confirm(app, 'x'.repeat(43))).statusCode, 400, 'an unknown token')
    t.same((await confirm(app, 'not a token')).json(), { error: 'invalid_grant', error_description: 'The verification token is invalid, used or expired, or the address changed since' })
    t.equal((await confirm(app, ` ${tokenOf(mail)}\n`)).statusCode, 204, 'the mailed code, copied with stray spaces')
    t.match((await me(app, tokens.access_token)).json(), { email_verified: true }, 'seen at once through the cached session')
    t.equal((await confirm(app, tokenOf(mail))).statusCode, 400, 'used once only')

    const refreshed = (await refresh(app, tokens.refresh_token)).json()
    t.equal(decodeJwt(refreshed.access_token).email_verified, true, 'the next token carries the new state')
    const verified = await post(app, '/users/me/email/verify', refreshed.access_token)
    t.equal(verified.statusCode, 409, 'nothing to verify')
    t.equal(verified.json().error, 'conflict')
  })

  t.test('verify: the link of APP_VERIFY_URL carries the token; a newer mail replaces the older one', async t => {
    const { app, server } = await setup(t, { APP_VERIFY_URL: 'https://app.example.com/verify?token={token}' }, tls)
    await addUserWithEmail(app, 'alice', 'alice@example.com')
    const access = (await login(app, 'alice')).access_token
    t.equal((await post(app, '/users/me/email/verify', access)).statusCode, 202)
    const [first] = await server.waitForMails(1)
    t.match(first?.parsed.text, /Open this link:\nhttps:\/\/app\.example\.com\/verify\?token=/)
    await linksMailedAgo(app, 61)
    t.equal((await post(app, '/users/me/email/verify', access)).statusCode, 202)
    const [, second] = await server.waitForMails(2)
    t.equal((await confirm(app, tokenOf(first))).statusCode, 400, 'the older link no longer works')
    t.equal((await confirm(app, tokenOf(second))).statusCode, 204)
  })

  t.test('verify without an address: 400; the access token then has no email_verified claim', async t => {
    const { app } = await setup(t, {}, tls)
    await addUserWithEmail(app, 'bob', null)
    const access = (await login(app, 'bob')).access_token
    t.notOk('email_verified' in decodeJwt(access), 'no address, no claim')
    t.match((await me(app, access)).json(), { email: null, email_verified: false })
    const res = await post(app, '/users/me/email/verify', access)
    t.equal(res.statusCode, 400)
    t.equal(res.json().error, 'invalid_request')
    t.same(await outbox(app), [])
  })

  t.test('change email: link to the new address, notice to the old, verified reset, the old address\'s link dead', async t => {
    const { app, server } = await setup(t, {}, tls)
    await addUserWithEmail(app, 'alice', 'old@example.com')
    const access = (await login(app, 'alice')).access_token
    t.equal((await post(app, '/users/me/email/verify', access)).statusCode, 202)
    const [toOld] = await server.waitForMails(1)
    const early = await patchMe(app, access, { email: 'new@example.com' })
    t.equal(early.statusCode, 429, 'a new address moments after a link is throttled like a resend')
    t.ok(Number(early.headers['retry-after']) >= 1)
    t.match((await me(app, access)).json(), { email: 'old@example.com' }, 'and changes nothing')
    await linksMailedAgo(app, 61)

    const res = await patchMe(app, access, { email: 'new@example.com' })
    t.equal(res.statusCode, 200)
    t.match(res.json(), { username: 'alice', email: 'new@example.com', email_verified: false })
    t.match((await me(app, access)).json(), { email: 'new@example.com' }, 'GET /users/me shows it at once')
    await server.waitForMails(3)
    const [link] = mailsTo(server, 'new@example.com')
    t.equal(link?.parsed.subject, 'Confirm your email address')
    const notice = mailsTo(server, 'old@example.com').find(m => m.parsed.subject === 'Your email address was changed')
    t.match(notice?.parsed.text, /changed from old@example\.com to new@example\.com/)

    t.equal((await confirm(app, tokenOf(toOld))).statusCode, 400, 'a link mailed to the old address confirms nothing')
    t.equal((await confirm(app, tokenOf(link))).statusCode, 204)
    t.match((await me(app, access)).json(), { email: 'new@example.com', email_verified: true })

    const before = (await outbox(app)).length
    const same = await patchMe(app, access, { email: 'new@example.com' })
    t.match(same.json(), { email: 'new@example.com', email_verified: true }, 'the same address: nothing changes')
    t.equal((await outbox(app)).length, before, 'and nothing is mailed')
  })

  t.test('change email: a verified address changed is unverified; removing it sends the notice only', async t => {
    const { app, server } = await setup(t, {}, tls)
    await addUserWithEmail(app, 'alice', 'old@example.com', true)
    const access = (await login(app, 'alice')).access_token
    t.equal(decodeJwt(access).email_verified, true)
    const removed = await patchMe(app, access, { email: null, full_name: 'Alice A.' })
    t.equal(removed.statusCode, 200)
    t.match(removed.json(), { email: null, email_verified: false, full_name: 'Alice A.' })
    const [notice] = await server.waitForMails(1)
    t.equal(notice?.parsed.subject, 'Your email address was changed')
    t.same(notice?.envelope.to, ['old@example.com'])
    t.same((await outbox(app)).map(m => m.recipient), ['old@example.com'], 'one mail: no address, no link')

    const named = await patchMe(app, access, { full_name: null })
    t.match(named.json(), { full_name: null, email: null })
    t.equal((await patchMe(app, access, {})).statusCode, 400, 'an empty change')
    t.equal((await patchMe(app, access, { email: 'not an address' })).statusCode, 400)
    t.equal((await patchMe(app, access, { username: 'mallory' })).statusCode, 400, 'nothing else')
  })

  t.test('PATCH /users/me needs a recent login (RFC 9470)', async t => {
    const { app } = await setup(t, {}, tls)
    app.config.sessions.reauthMaxAgeSeconds = 60
    await addUserWithEmail(app, 'alice', 'old@example.com')
    const tokens = await login(app, 'alice')
    const claims = decodeJwt(tokens.access_token)
    const stale = app.accessTokens.issue({ username: 'alice', scopes: [], sessionId: claims.sid as string, authTime: Math.floor(Date.now() / 1000) - 120 }).token
    for (const payload of [{ email: 'new@example.com' }, { full_name: 'A' }]) {
      const res = await patchMe(app, stale, payload)
      t.equal(res.statusCode, 401)
      t.equal(res.json().error, 'insufficient_user_authentication')
      t.match(res.headers['www-authenticate'], /^Bearer error="insufficient_user_authentication".*max_age=60$/)
    }
    t.match((await me(app, stale)).json(), { email: 'old@example.com', full_name: null }, 'nothing changed')
    t.same(await outbox(app), [])
    t.equal((await post(app, '/users/me/email/verify', stale)).statusCode, 202, 'asking for a link needs no recent login')
  })

  t.test('EMAIL_VERIFICATION_REQUIRED: unverified logins are refused after the password check, with one new link per 10 minutes', async t => {
    const { app, server } = await setup(t, { EMAIL_VERIFICATION_REQUIRED: 'true' }, tls)
    await addUserWithEmail(app, 'alice', 'alice@example.com')
    await addUserWithEmail(app, 'bob', null)
    const attempt = async (username: string, password = PASSWORD) => await app.inject({ method: 'POST', url: '/token', ...form({ username, password }) })

    const wrong = await attempt('alice', 'wrong-password')
    t.equal(wrong.statusCode, 401, 'a wrong password is still just a wrong password')
    t.equal(wrong.json().error_description, 'Incorrect username or password')
    t.same(await outbox(app), [], 'and mails nothing')

    const refused = await attempt('alice')
    t.equal(refused.statusCode, 400)
    t.same(refused.json(), { error: 'invalid_grant', error_description: 'Email not verified' })
    const [link] = await server.waitForMails(1)
    t.same(link?.envelope.to, ['alice@example.com'], 'the refusal mailed a link')
    t.equal((await attempt('alice')).statusCode, 400)
    t.equal((await outbox(app)).length, 1, 'a second refusal moments later mails nothing more')
    await linksMailedAgo(app, 601)
    t.equal((await attempt('alice')).statusCode, 400)
    t.equal((await outbox(app)).length, 2, 'ten minutes later, a refusal mails a new link')
    const [, newest] = await server.waitForMails(2)

    t.equal((await confirm(app, tokenOf(newest))).statusCode, 204)
    const tokens = await login(app, 'alice')
    t.equal(decodeJwt(tokens.access_token).email_verified, true)

    t.same((await attempt('bob')).json(), { error: 'invalid_grant', error_description: 'Email not verified' }, 'no address counts as unverified')
    t.equal((await outbox(app)).length, 2, 'and has nowhere to mail to')

    // A session opened while verified keeps refreshing after the address changed (its user logs in again only when it ends).
    await linksMailedAgo(app, 61)
    t.equal((await patchMe(app, tokens.access_token, { email: 'alice@example.org' })).statusCode, 200)
    const refreshed = await refresh(app, tokens.refresh_token)
    t.equal(refreshed.statusCode, 200)
    t.equal(decodeJwt(refreshed.json().access_token).email_verified, false)
    t.equal((await attempt('alice')).statusCode, 400, 'but a new login is refused until the new address is confirmed')
  })

  t.test('open sign-up: an email is required when verification is, and mailed a link; email_verified is for admins', async t => {
    const { app, server } = await setup(t, { SIGNUP_ENABLED: 'true', EMAIL_VERIFICATION_REQUIRED: 'true' }, tls)
    const signUp = async (payload: object, headers: Record<string, string> = {}) => await app.inject({ method: 'POST', url: '/users', headers, payload })
    const noEmail = await signUp({ username: 'carol', password: PASSWORD })
    t.equal(noEmail.statusCode, 400)
    t.equal(noEmail.json().error, 'invalid_request')
    t.equal((await signUp({ username: 'carol', password: PASSWORD, email: 'carol@example.com', email_verified: true })).statusCode, 400, 'no one verifies their own address')
    t.equal(await app.store.users.findByUsername('carol'), undefined)

    const created = await signUp({ username: 'carol', password: PASSWORD, email: 'carol@example.com' })
    t.equal(created.statusCode, 201)
    t.match(created.json(), { email: 'carol@example.com', email_verified: false })
    const [link] = await server.waitForMails(1)
    t.equal((await confirm(app, tokenOf(link))).statusCode, 204)
    t.equal(decodeJwt((await login(app, 'carol')).access_token).email_verified, true)

    await app.userService.register({ username: 'root', password: PASSWORD, email: 'root@example.com', emailVerified: true, scopes: ['users:admin'] })
    const admin = bearer((await login(app, 'root')).access_token)
    const byAdmin = await signUp({ username: 'dave', password: PASSWORD, email: 'dave@example.com', email_verified: true }, admin)
    t.equal(byAdmin.statusCode, 201)
    t.match(byAdmin.json(), { email: 'dave@example.com', email_verified: true })
    t.equal((await signUp({ username: 'erin', password: PASSWORD }, admin)).statusCode, 201, 'admins may create users without an address')
    t.same((await outbox(app)).map(m => m.recipient), ['carol@example.com'], 'admins\' users are not mailed')
  })

  t.test('admins: PATCH sets email_verified; a changed email without it is unverified', async t => {
    const { app } = await setup(t, {}, tls)
    await app.userService.register({ username: 'root', password: PASSWORD, scopes: ['users:admin'] })
    await addUserWithEmail(app, 'alice', 'alice@example.com')
    const admin = bearer((await login(app, 'root')).access_token)
    const patch = async (payload: object) => await app.inject({ method: 'PATCH', url: '/users/alice', headers: admin, payload })
    t.match((await patch({ email_verified: true })).json(), { email: 'alice@example.com', email_verified: true })
    t.match((await patch({ full_name: 'Alice' })).json(), { email_verified: true }, 'other changes keep it')
    t.match((await patch({ email: 'alice@example.com' })).json(), { email_verified: true }, 'so does the same address')
    t.match((await patch({ email: 'alice@example.org' })).json(), { email: 'alice@example.org', email_verified: false })
    t.match((await patch({ email: 'a@example.net', email_verified: true })).json(), { email: 'a@example.net', email_verified: true })
    t.equal((await patch({ email: null, email_verified: true })).statusCode, 400, 'no address cannot be verified')
    t.match((await app.inject({ method: 'GET', url: '/users/alice', headers: admin })).json(), { email_verified: true })
  })

  t.test('the whole flow on PostgreSQL', async t => {
    const pg = await postgresSchema(t)
    if (pg === undefined) return
    const { app, server } = await setup(t, { DATABASE_URL: pg.url, EMAIL_VERIFICATION_REQUIRED: 'true' }, tls)
    t.equal(app.store.dialect, 'postgres')
    await addUserWithEmail(app, 'alice', 'old@example.com', true)
    const access = (await login(app, 'alice')).access_token
    t.match((await patchMe(app, access, { email: 'new@example.com' })).json(), { email: 'new@example.com', email_verified: false })
    t.match((await me(app, access)).json(), { email: 'new@example.com', email_verified: false })
    await server.waitForMails(2)
    const [link] = mailsTo(server, 'new@example.com')
    t.equal((await post(app, '/users/me/email/verify', access)).statusCode, 429, 'the change just mailed a link')
    const refused = await app.inject({ method: 'POST', url: '/token', ...form({ username: 'alice', password: PASSWORD }) })
    t.equal(refused.json().error_description, 'Email not verified')
    t.equal((await outbox(app)).length, 2, 'a live link was mailed moments ago: the refusal mails none')
    t.equal((await confirm(app, tokenOf(link))).statusCode, 204)
    t.equal((await confirm(app, tokenOf(link))).statusCode, 400)
    t.match((await me(app, access)).json(), { email_verified: true })
    t.equal(decodeJwt((await login(app, 'alice')).access_token).email_verified, true)
    t.equal((await app.store.users.update('alice', { email: 'new@example.com' }))?.emailVerified, true, 'an admin\'s same address keeps the state')
    t.equal((await app.store.users.update('alice', { email: 'other@example.com' }))?.emailVerified, false, 'a new one is unverified')
    t.equal((await app.store.users.update('alice', { email: null }))?.emailVerified, false)
  })
}

t.test('an address the schema accepts but the mailer refuses (a local part over 64): no mail, and no 500', async t => {
  const app = await build(t, { SIGNUP_ENABLED: 'true', EMAIL_VERIFICATION_REQUIRED: 'true' })
  const unmailable = 'a'.repeat(65) + '@example.com'
  const created = await app.inject({ method: 'POST', url: '/users', payload: { username: 'carol', password: PASSWORD, email: unmailable } })
  t.equal(created.statusCode, 201, 'the sign-up stands; the mail could not be written')
  const refused = await app.inject({ method: 'POST', url: '/token', ...form({ username: 'carol', password: PASSWORD }) })
  t.same(refused.json(), { error: 'invalid_grant', error_description: 'Email not verified' }, 'the login is refused as usual')

  await app.userService.register({ username: 'alice', password: PASSWORD, email: 'alice@example.com', emailVerified: true })
  const access = (await login(app, 'alice')).access_token
  const changed = await patchMe(app, access, { email: unmailable })
  t.equal(changed.statusCode, 400)
  t.same(changed.json(), { error: 'invalid_request', error_description: 'This email address cannot be mailed to' })
  t.match((await me(app, access)).json(), { email: 'alice@example.com', email_verified: true }, 'nothing changed')
  t.same(await outbox(app), [])
})

t.test('introspection tells a user token\'s email_verified as it is now, and only for users with an address', async t => {
  const app = await build(t)
  const secret = await addClient(app, 'svc') ?? ''
  await app.userService.register({ username: 'alice', password: PASSWORD, email: 'alice@example.com' })
  await app.userService.register({ username: 'bob', password: PASSWORD })
  const introspect = async (token: string) => (await app.inject({
    method: 'POST', url: '/introspect', headers: { ...form({}).headers, authorization: basicAuth('svc', secret) }, payload: new URLSearchParams({ token }).toString()
  })).json()
  const alice = (await login(app, 'alice')).access_token
  t.match(await introspect(alice), { active: true, username: 'alice', email_verified: false })
  await app.store.users.update('alice', { emailVerified: true })
  t.match(await introspect(alice), { active: true, email_verified: true }, 'the state now, not the token\'s claim')
  t.equal(decodeJwt(alice).email_verified, false)
  const bob = await introspect((await login(app, 'bob')).access_token)
  t.equal(bob.active, true)
  t.notOk('email_verified' in bob, 'no address, no member')
})

t.test('audit lines: the refusal\'s reason, the change and the confirmation; no token in any log line', async t => {
  const { app, logs } = await buildWithLogs(t, { EMAIL_VERIFICATION_REQUIRED: 'true', LOG_LEVEL: 'info', METRICS_PORT: String(await freePort()) }, fast)
  await app.userService.register({ username: 'alice', password: PASSWORD, email: 'alice@example.com' })
  t.equal((await app.inject({ method: 'POST', url: '/token', ...form({ username: 'alice', password: PASSWORD }) })).statusCode, 400)
  t.match(logs.audit('login.failed'), [{ username: 'alice', reason: 'email_unverified' }])
  const metrics = await app.metrics.registry.metrics()
  t.match(metrics, /^gatehouse_login_attempts_total\{outcome="email_unverified"\} 1$/m)
  // Development delivery (no SMTP_URL): the mail is a log line.
  await waitFor('the development mail line', async () => logs.lines().some(l => l.msg === DEVELOPMENT_MAIL_LINE))
  const mailLine = logs.lines().find(l => l.msg === DEVELOPMENT_MAIL_LINE) as { mail?: { text?: string } } | undefined
  const token = /Your code:\n([A-Za-z0-9_-]{43})\n/.exec(mailLine?.mail?.text ?? '')?.[1] ?? ''
  t.equal((await confirm(app, token)).statusCode, 204)
  t.match(logs.audit('user.email_verified'), [{ username: 'alice' }])
  await linksMailedAgo(app, 61)
  const access = (await login(app, 'alice')).access_token
  t.equal((await patchMe(app, access, { email: 'alice@example.org' })).statusCode, 200)
  t.match(logs.audit('user.email_changed'), [{ username: 'alice' }])
  const lines = logs.lines().filter(l => l.msg !== DEVELOPMENT_MAIL_LINE)
  t.notMatch(JSON.stringify(lines), token, 'the token is only in the development mail line')
})

eachDialectApp('an import that changes a user\'s email leaves it unverified; the same email keeps its state', async (t, app) => {
  await app.userService.register({ username: 'root', password: PASSWORD, scopes: ['users:admin'] })
  await app.userService.register({ username: 'alice', password: PASSWORD, email: 'alice@example.com', emailVerified: true })
  await app.userService.register({ username: 'bob', password: PASSWORD, email: 'bob@example.com', emailVerified: true })
  const admin = bearer((await login(app, 'root')).access_token)
  const hash = (await app.store.users.findByUsername('alice'))?.passwordHash ?? ''
  const res = await app.inject({
    method: 'POST',
    url: '/users/import?on_conflict=update',
    headers: admin,
    payload: [{ username: 'alice', hashed_password: hash, email: 'alice@example.org' }, { username: 'bob', hashed_password: hash, email: 'bob@example.com' }]
  })
  t.equal(res.statusCode, 200, res.body)
  t.match(await app.store.users.findByUsername('alice'), { email: 'alice@example.org', emailVerified: false })
  t.match(await app.store.users.findByUsername('bob'), { email: 'bob@example.com', emailVerified: true })
})

/** The same test on the embedded store and on PostgreSQL. */
function eachDialectApp (name: string, fn: (t: Test, app: App) => Promise<void>): void {
  t.test(`${name} [sqlite]`, async t => { await fn(t, await build(t)) })
  t.test(`${name} [postgres]`, async t => {
    const pg = await postgresSchema(t)
    if (pg !== undefined) await fn(t, await build(t, { DATABASE_URL: pg.url }))
  })
}
