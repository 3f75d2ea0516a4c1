import t from 'tap'
import { emailChangedNotice, linkFor, passwordChangedMail, passwordResetMail, recipientOf, verificationMail } from '../../../src/mail/account-mails.js'
import { checkOutgoingMail } from '../../../src/mail/outgoing-mail.js'

const TOKEN = 'AbC_-' + 'x'.repeat(38)
const to = { email: 'alice@example.com', fullName: 'Alice <b>&</b>', username: 'alice' }
const options = { link: undefined, confirmUrl: 'http://localhost:8000/password-reset/confirm', ttlSeconds: 1800 }

t.test('without a front-end page the mail carries the code and where to send it', async t => {
  const mail = passwordResetMail(to, TOKEN, options)
  t.match(mail, { to: 'alice@example.com', toName: 'Alice <b>&</b>', subject: 'Reset your password' })
  t.match(mail.text, `Your code:\n${TOKEN}`)
  t.match(mail.text, 'Send it to POST http://localhost:8000/password-reset/confirm.')
  t.match(mail.text, 'for 30 minutes')
  t.match(mail.html, `<code style="font-size: 1.1em">${TOKEN}</code>`)
  checkOutgoingMail(mail)
})

t.test('with APP_RESET_URL / APP_VERIFY_URL the mail carries the link', async t => {
  const link = linkFor('https://app.example.com/reset?token={token}&x={token}', TOKEN)
  t.equal(link, `https://app.example.com/reset?token=${TOKEN}&x=${TOKEN}`)
  t.equal(linkFor(undefined, TOKEN), undefined)
  const mail = verificationMail(to, TOKEN, { ...options, link, ttlSeconds: 172_800 })
  t.match(mail.text, `Open this link:\n${link ?? ''}`)
  t.match(mail.text, 'for 48 hours')
  t.notMatch(mail.text, 'Your code', 'the link replaces the bare code')
  t.match(mail.html, `<a href="https://app.example.com/reset?token=${TOKEN}&amp;x=${TOKEN}">`)
})

t.test('user-controlled text is escaped in the HTML part', async t => {
  for (const mail of [
    passwordResetMail(to, TOKEN, options),
    passwordChangedMail(to, { at: 0 }),
    verificationMail(to, TOKEN, options),
    emailChangedNotice({ ...to, username: 'a<script>' }, { newEmail: 'x"<img>@example.com', at: 0 })
  ]) {
    t.notMatch(mail.html, /<b>&<\/b>|<script>|<img>/, mail.subject)
    t.match(mail.html, 'Alice &lt;b&gt;&amp;&lt;/b&gt;')
    t.match(mail.text, 'Hello Alice <b>&</b>,', 'the text part is plain text')
  }
})

t.test('the greeting falls back to the username; the notices say when', async t => {
  const plain = { ...to, fullName: null }
  t.match(passwordChangedMail(plain, { at: Date.UTC(2026, 0, 2, 3, 4, 5) }).text, /Hello alice,[\s\S]*2026-01-02T03:04:05.000Z/)
  t.equal(passwordChangedMail(plain, { at: 0 }).toName, undefined)
  t.match(emailChangedNotice(plain, { newEmail: 'new@example.com', at: 0 }).text, 'from alice@example.com to new@example.com')
})

t.test('a full name that could break a header is left out; the mail still goes to the bare address', async t => {
  t.same(recipientOf({ username: 'alice', fullName: 'Alice A.' }, 'a@example.com'), { email: 'a@example.com', fullName: 'Alice A.', username: 'alice' })
  for (const [i, fullName] of ['Eve\r\nBcc: x@example.com', 'Eve\u2028', 'Eve\u0007', '   ', null].entries()) {
    t.equal(recipientOf({ username: 'eve', fullName }, 'e@example.com').fullName, null, `name #${i}`)
  }
})
