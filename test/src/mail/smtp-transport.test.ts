import t from 'tap'
import type { AddressObject } from 'mailparser'
import { createSmtpTransport, smtpLocation } from '../../../src/mail/smtp-transport.js'
import { MailHeaderError, type OutgoingMail } from '../../../src/mail/outgoing-mail.js'
import { sleep } from '../../child-process.js'
import { hasOpenssl, selfSigned, SMTP_PASSWORD, startSmtpServer } from './smtp-test-server.js'

const FROM = 'Gatehouse <no-reply@example.com>'
const MAIL: OutgoingMail = {
  to: 'alice@example.com',
  toName: 'Alice Ünïcode, "Jr."',
  subject: 'Reset your password — Gatehouse',
  text: 'Your code: 4f1c-99ab\nIt works once, for 30 minutes.',
  html: '<p>Your code: <b>4f1c-99ab</b></p>'
}

const addresses = (field: AddressObject | AddressObject[] | undefined) => (Array.isArray(field) ? field : field === undefined ? [] : [field]).flatMap(a => a.value)

if (!hasOpenssl()) {
  void t.skip('openssl is not installed: cannot make the SMTP server\'s certificate', () => {})
} else {
  const tls = selfSigned(t)

  t.test('delivered over STARTTLS with AUTH: both parts, From, To with its name, Auto-Submitted', async t => {
    const server = await startSmtpServer(t, tls)
    const transport = await createSmtpTransport({ url: server.url, tlsRejectUnauthorized: false, from: FROM })
    t.teardown(transport.close)
    await transport.send(MAIL)
    const [got] = await server.waitForMails(1)
    if (got === undefined) return
    t.ok(got.secure, 'the session was upgraded with STARTTLS before AUTH and DATA')
    t.equal(got.user, 'mailer', 'authenticated with the URL\'s user and (percent-decoded) password')
    t.same(got.envelope, { from: 'no-reply@example.com', to: ['alice@example.com'] })
    t.equal(got.parsed.text?.trim(), MAIL.text, 'the plain-text part')
    t.equal(got.parsed.html, MAIL.html, 'the HTML part')
    t.equal(got.parsed.subject, MAIL.subject, 'the subject, non-ASCII encoded and decoded')
    t.same(addresses(got.parsed.from), [{ address: 'no-reply@example.com', name: 'Gatehouse' }], 'From = MAIL_FROM')
    t.same(addresses(got.parsed.to), [{ address: 'alice@example.com', name: 'Alice Ünïcode, "Jr."' }], 'the name with a comma and quotes stays one recipient')
    t.equal(got.parsed.headers.get('auto-submitted'), 'auto-generated')
    t.match(got.parsed.headers.get('content-type'), { value: 'multipart/alternative' })
  })

  t.test('SMTP_TLS_REJECT_UNAUTHORIZED=true refuses the self-signed certificate: nothing is sent', async t => {
    const server = await startSmtpServer(t, tls)
    const transport = await createSmtpTransport({ url: server.url, tlsRejectUnauthorized: true, from: FROM })
    t.teardown(transport.close)
    await t.rejects(transport.send(MAIL), /self[- ]signed certificate/)
    await sleep(100)
    t.same(server.received, [])
  })

  t.test('a wrong password is refused by the server, and the error does not repeat it', async t => {
    const server = await startSmtpServer(t, tls)
    const transport = await createSmtpTransport({ url: server.url.replace(encodeURIComponent(SMTP_PASSWORD), 'wrong-password'), tlsRejectUnauthorized: false, from: FROM })
    t.teardown(transport.close)
    const err = await transport.send(MAIL).then(() => undefined, (e: unknown) => e as Error)
    t.match(err?.message, /Invalid login|authentication/i)
    t.notMatch(err?.message, /wrong-password/)
    t.same(server.received, [])
  })

  t.test('header injection is refused at the transport too (a mail written to the outbox by other means)', async t => {
    const server = await startSmtpServer(t, tls)
    const transport = await createSmtpTransport({ url: server.url, tlsRejectUnauthorized: false, from: FROM })
    t.teardown(transport.close)
    await t.rejects(transport.send({ ...MAIL, toName: 'Alice\r\nBcc: everyone@example.com' }), MailHeaderError)
    await t.rejects(transport.send({ ...MAIL, subject: 'Hi\nBcc: everyone@example.com' }), MailHeaderError)
    await t.rejects(transport.send({ ...MAIL, to: 'alice@example.com\r\nBcc: everyone@example.com' }), MailHeaderError)
    await sleep(100)
    t.same(server.received, [], 'nothing reached the server')
  })

  t.test('smtpLocation: what may be logged of SMTP_URL has no credentials', async t => {
    t.equal(smtpLocation('smtp://user:s3cret@mail.example.com:587'), 'smtp://mail.example.com:587')
    t.equal(smtpLocation('smtps://mail.example.com'), 'smtps://mail.example.com')
  })
}
