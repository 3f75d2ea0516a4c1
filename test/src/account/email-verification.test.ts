import t from 'tap'
import { createEmailVerification, REFUSED_LOGIN_RESEND_SECONDS, RESEND_INTERVAL_SECONDS } from '../../../src/account/email-verification.js'
import { ServiceError } from '../../../src/errors.js'
import { checkOutgoingMail, type OutgoingMail } from '../../../src/mail/outgoing-mail.js'
import { openTestStore } from '../store/dialects.js'

// The domain on the embedded store, with its clock in the test's hands: the
// resend windows end exactly where they say. The mails are caught as the
// outbox gets them (the HTTP tests read them from a real SMTP server).

const NOW = 1_750_000_000_000

async function setup (t: Parameters<typeof openTestStore>[0]) {
  const store = await openTestStore(t, 'sqlite')
  if (store === undefined) throw new Error('the embedded store always opens')
  let clock = NOW
  const mails: OutgoingMail[] = []
  let wakes = 0
  const verification = createEmailVerification({
    store,
    // The outbox's own check (plugins/mail.ts → outbox repository), then caught.
    mail: { enqueue: async (_executor, mail) => { checkOutgoingMail(mail); mails.push(mail); return mails.length }, wake: () => { wakes++ } },
    settings: { verifyUrl: 'https://app.example.com/verify?t={token}', confirmUrl: 'https://auth.example.com/email-verification/confirm', ttlSeconds: 3600 },
    now: () => clock
  })
  const user = await store.users.create({ username: 'alice', email: 'alice@example.com', fullName: 'Alice <A>', passwordHash: 'x', disabled: false, scopes: [] })
  return { store, verification, user, mails, wakes: () => wakes, at: (ms: number) => { clock = NOW + ms } }
}

const tokenIn = (mail: OutgoingMail | undefined) => /\?t=([A-Za-z0-9_-]{43})/.exec(mail?.text ?? '')?.[1] ?? ''

t.test('send: one mail per RESEND_INTERVAL_SECONDS; 429 until then, with the seconds left', async t => {
  const { verification, user, mails, wakes, at } = await setup(t)
  await verification.send(user)
  t.equal(mails.length, 1)
  t.equal(wakes(), 1, 'the worker is woken after the commit')
  t.match(mails[0], { to: 'alice@example.com', toName: 'Alice <A>', subject: 'Confirm your email address' })
  t.match(mails[0]?.html, /Alice &lt;A&gt;/, 'the HTML part escapes the name')
  at((RESEND_INTERVAL_SECONDS - 1) * 1000)
  const refused = await verification.send(user).catch((err: ServiceError) => err)
  t.match(refused, { code: 'too_many_requests', statusCode: 429, headers: { 'retry-after': '1' } })
  at(RESEND_INTERVAL_SECONDS * 1000)
  await verification.send(user)
  t.equal(mails.length, 2)
  await t.rejects(verification.confirm(tokenIn(mails[0])), { code: 'invalid_grant' }, 'the newer mail replaced the older link')
  t.match(await verification.confirm(tokenIn(mails[1])), { emailVerified: true })
})

t.test('send: two requests at once mail once; the other is 429 (the throttle is read inside the write)', async t => {
  const { verification, user, mails, at } = await setup(t)
  const results = await Promise.allSettled([verification.send(user), verification.send(user), verification.send(user)])
  t.equal(results.filter(r => r.status === 'fulfilled').length, 1, 'one sent')
  for (const r of results.filter(r => r.status === 'rejected')) t.match(r.reason, { code: 'too_many_requests', statusCode: 429, headers: { 'retry-after': String(RESEND_INTERVAL_SECONDS) } })
  t.equal(mails.length, 1, 'one mail')
  at(RESEND_INTERVAL_SECONDS * 1000)
  const changes = await Promise.allSettled([verification.changeEmail(user, 'one@example.com'), verification.changeEmail(user, 'two@example.com')])
  t.equal(changes.filter(r => r.status === 'fulfilled').length, 1, 'one address change at a time')
  t.equal(mails.filter(m => m.subject === 'Confirm your email address').length, 2, 'one more link')
})

t.test('after a refused login: a link at most every REFUSED_LOGIN_RESEND_SECONDS, none without an address or once verified', async t => {
  const { store, verification, user, mails, at } = await setup(t)
  t.equal(await verification.sendAfterRefusedLogin(user), true)
  at((REFUSED_LOGIN_RESEND_SECONDS - 1) * 1000)
  t.equal(await verification.sendAfterRefusedLogin(user), false)
  at(REFUSED_LOGIN_RESEND_SECONDS * 1000)
  t.equal(await verification.sendAfterRefusedLogin(user), true)
  t.equal(mails.length, 2)
  t.equal(await verification.sendAfterRefusedLogin({ ...user, email: null }), false)
  t.equal(await verification.sendAfterRefusedLogin({ ...user, emailVerified: true }), false)
  const unmailable = await store.users.update('alice', { email: 'a'.repeat(65) + '@example.com' })
  at(2 * REFUSED_LOGIN_RESEND_SECONDS * 1000)
  t.ok(unmailable)
  if (unmailable !== undefined) t.equal(await verification.sendAfterRefusedLogin(unmailable), false, 'an address the mailer refuses: no mail, no error')
  t.equal(mails.length, 2)
})

t.test('a full name that could break a header is left out of the mail, which still goes', async t => {
  const { store, verification, mails } = await setup(t)
  const named = await store.users.update('alice', { fullName: 'Alice\r\nBcc: all@example.com' })
  if (named === undefined) throw new Error('alice exists')
  await verification.send(named)
  t.match(mails[0], { to: 'alice@example.com', toName: undefined })
  t.match(mails[0]?.text, /^Hello alice,/, 'greeted by username')
  const { user: changed } = await verification.changeEmail(named, null)
  t.equal(changed.email, null)
  t.match(mails[1], { to: 'alice@example.com', toName: undefined, subject: 'Your email address was changed' })
})

t.test('send refuses without an address (400) and when verified (409)', async t => {
  const { verification, user, mails } = await setup(t)
  await t.rejects(verification.send({ ...user, email: null }), { code: 'invalid_request' })
  await t.rejects(verification.send({ ...user, emailVerified: true }), { code: 'conflict', statusCode: 409 })
  t.same(mails, [])
})

t.test('changeEmail: a link to the new address, the notice to the old; the same address is no change', async t => {
  const { verification, user, mails } = await setup(t)
  t.same(await verification.changeEmail(user, 'alice@example.com'), { user, changed: false })
  t.same(mails, [])
  const { user: changed } = await verification.changeEmail(user, 'new@example.com')
  t.match(changed, { email: 'new@example.com', emailVerified: false })
  t.same(mails.map(m => [m.to, m.subject]), [['new@example.com', 'Confirm your email address'], ['alice@example.com', 'Your email address was changed']])
  t.match(mails[1]?.text, /from alice@example\.com to new@example\.com/)
  t.match(await verification.confirm(tokenIn(mails[0])), { email: 'new@example.com', emailVerified: true })
  await t.rejects(verification.changeEmail(changed, 'other@example.com'), { code: 'too_many_requests' }, 'a new address within the resend window')
  t.match(await verification.changeEmail(changed, null), { changed: true, user: { email: null } }, 'removing mails no link: not throttled')
  t.equal(mails.length, 3, 'only the notice')
  await t.rejects(verification.changeEmail({ ...changed, email: null }, 'other@example.com'), { code: 'too_many_requests' }, 'removing reopens no window')
})
