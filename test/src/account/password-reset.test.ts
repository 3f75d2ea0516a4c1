import t, { type Test } from 'tap'
import { createMemoryCounters } from '../../../src/auth/memory-counters.js'
import { createPasswordResetService, resetAddressKey, type PasswordResetDeps } from '../../../src/account/password-reset.js'
import type { OutgoingMail } from '../../../src/mail/outgoing-mail.js'
import type { Store } from '../../../src/store/store.js'
import type { NewUser } from '../../../src/store/user.js'
import { cheapHasher, eachDialect } from '../store/dialects.js'

const NEW_PASSWORD = 'Fresh-Kettle-Harbor-58'
const START = Date.UTC(2026, 0, 1)

async function world (t: Test, store: Store, options: Partial<PasswordResetDeps> = {}) {
  const hasher = await cheapHasher()
  const mails: OutgoingMail[] = []
  const errors: unknown[] = []
  let clock = START
  const service = createPasswordResetService({
    store,
    hasher,
    counters: createMemoryCounters(() => clock),
    mail: {
      enqueue: async (executor, mail) => { mails.push(mail); return await store.outbox.enqueue(executor, mail) },
      wake: () => {}
    },
    limits: { maxPerAddress: 100, maxPerIp: 1000, windowSeconds: 3600 },
    ttlSeconds: 1800,
    resetUrl: undefined,
    publicUrl: 'https://auth.example.test',
    onError: (err) => { errors.push(err) },
    now: () => clock,
    ...options
  })
  const add = async (user: Partial<NewUser> & { username: string }) => await store.users.create({
    email: null, fullName: null, disabled: false, scopes: [], passwordHash: await hasher.hash('Old-Password-Orbit-11', 'test'), ...user
  })
  /** Asks for a reset and waits for its background work; the token of each mail sent meanwhile. */
  const ask = async (target: { email: string } | { username: string }, ip = '192.0.2.1') => {
    const before = mails.length
    await service.request(target, ip)
    await service.settled()
    t.same(errors, [], 'no background request failed')
    return mails.slice(before).map(m => /Your code:\n([A-Za-z0-9_-]{43})\n/.exec(m.text)?.[1] ?? '')
  }
  return { service, hasher, mails, add, ask, tick: (ms: number) => { clock += ms }, now: () => clock }
}

eachDialect('a reset sets the password, lifts the lockout, ends every session, and mails the change', async (t, store) => {
  const w = await world(t, store)
  const alice = await w.add({ username: 'alice', email: 'Alice@Example.test', fullName: 'Alice A.' })
  const [token] = await w.ask({ email: 'alice@example.TEST' })
  t.match(w.mails[0], { to: 'Alice@Example.test', toName: 'Alice A.', subject: 'Reset your password' })
  t.match(w.mails[0]?.text, 'Send it to POST https://auth.example.test/password-reset/confirm.')
  t.equal(token?.length, 43)

  const result = await w.service.confirm(` ${token ?? ''}\n`, NEW_PASSWORD, '192.0.2.9')
  t.equal(result.user.username, 'alice')
  const stored = await store.users.findByUsername('alice')
  t.ok(await w.hasher.verify(NEW_PASSWORD, stored?.passwordHash, 'test'), 'the new password is set')
  t.equal(stored?.lockoutGeneration, alice.lockoutGeneration + 1, 'a lockout is lifted')
  t.equal(stored?.emailVerified, true, 'the token reached the current address')
  t.match(w.mails[1], { to: 'Alice@Example.test', subject: 'Your password was changed' })
  await t.rejects(w.service.confirm(token ?? '', 'Another-Kettle-Harbor-59', '192.0.2.9'), { code: 'invalid_grant', statusCode: 400 }, 'single use')
})

eachDialect('expired, superseded, malformed and unknown tokens are invalid_grant; a refused password keeps the token', async (t, store) => {
  const w = await world(t, store)
  await w.add({ username: 'bob', email: 'bob@example.test' })
  const [first] = await w.ask({ username: 'Bob' })
  const [second] = await w.ask({ username: 'bob' })
  await t.rejects(w.service.confirm(first ?? '', NEW_PASSWORD, '192.0.2.9'), { code: 'invalid_grant' }, 'a newer request ends the older token')
  await t.rejects(w.service.confirm('not-a-token', NEW_PASSWORD, '192.0.2.9'), { code: 'invalid_grant' })
  await t.rejects(w.service.confirm('A'.repeat(43), NEW_PASSWORD, '192.0.2.9'), { code: 'invalid_grant' })
  await t.rejects(w.service.confirm(second ?? '', 'bob', '192.0.2.9'), { code: 'invalid_request', statusCode: 400 }, 'the policy applies')
  w.tick(1800 * 1000 - 1)
  await w.service.confirm(second ?? '', NEW_PASSWORD, '192.0.2.9')
  const [third] = await w.ask({ username: 'bob' })
  w.tick(1800 * 1000)
  await t.rejects(w.service.confirm(third ?? '', NEW_PASSWORD, '192.0.2.9'), { code: 'invalid_grant' }, 'expired')
})

eachDialect('no mail for an unknown, disabled or email-less account; every account sharing an address gets its own', async (t, store) => {
  const w = await world(t, store)
  await w.add({ username: 'dora', email: 'dora@example.test', disabled: true })
  await w.add({ username: 'ned' })
  await w.add({ username: 'twin1', email: 'Shared@example.test' })
  await w.add({ username: 'twin2', email: 'shared@EXAMPLE.test' })
  await w.add({ username: 'off', email: 'shared@example.test', disabled: true })
  t.same(await w.ask({ email: 'nobody@example.test' }), [])
  t.same(await w.ask({ username: 'nobody' }), [])
  t.same(await w.ask({ username: 'dora' }), [])
  t.same(await w.ask({ email: 'dora@example.test' }), [])
  t.same(await w.ask({ username: 'ned' }), [])
  const tokens = await w.ask({ email: 'SHARED@example.test' })
  t.equal(tokens.length, 2)
  t.same(w.mails.map(m => m.to), ['Shared@example.test', 'shared@EXAMPLE.test'])
  t.match(w.mails[0]?.text, '"twin1"')
  t.match(w.mails[1]?.text, '"twin2"')
  t.equal((await w.service.confirm(tokens[1] ?? '', NEW_PASSWORD, '192.0.2.9')).user.username, 'twin2', 'each token is its account\'s')
})

eachDialect('a full name that could break a header is left out of the mail; the mail still goes', async (t, store) => {
  const w = await world(t, store)
  await w.add({ username: 'eve', email: 'eve@example.test', fullName: 'Eve\r\nBcc: all@example.test' })
  const [token] = await w.ask({ username: 'eve' })
  t.equal(token?.length, 43)
  t.equal(w.mails[0]?.toName, undefined)
  t.notMatch(w.mails[0]?.text, /Bcc/)
  t.match(w.mails[0]?.text, /^Hello eve,/)
})

eachDialect('rate limits: per submitted address and per IP, the same for known and unknown addresses', async (t, store) => {
  const w = await world(t, store, { limits: { maxPerAddress: 2, maxPerIp: 5, windowSeconds: 600 } })
  await w.add({ username: 'alice', email: 'alice@example.test' })
  for (const address of ['alice@example.test', 'nobody@example.test']) {
    await w.service.request({ email: address }, '192.0.2.1')
    await w.service.request({ email: address.toUpperCase() }, '192.0.2.2')
    await t.rejects(w.service.request({ email: address }, '192.0.2.3'), { code: 'too_many_requests', statusCode: 429, headers: { 'retry-after': '600' } }, address)
  }
  await w.service.request({ username: 'x1' }, '192.0.2.1')
  await w.service.request({ username: 'x2' }, '192.0.2.1')
  await w.service.request({ username: 'x3' }, '192.0.2.1')
  await t.rejects(w.service.request({ username: 'x4' }, '192.0.2.1'), { code: 'too_many_requests', statusCode: 429 }, 'per IP (the refused attempts are not counted)')
  w.tick(600 * 1000)
  await w.service.request({ username: 'x4' }, '192.0.2.1')
  await w.service.settled()
  t.equal(w.mails.length, 2, 'alice got the two mails that were not refused')
})

eachDialect('bad tokens are counted per IP at confirmation; good ones and refused passwords are not', async (t, store) => {
  const w = await world(t, store, { limits: { maxPerAddress: 10, maxPerIp: 2, windowSeconds: 600 } })
  await w.add({ username: 'alice', email: 'alice@example.test' })
  const [token] = await w.ask({ username: 'alice' })
  await t.rejects(w.service.confirm(token ?? '', 'alice', '192.0.2.7'), { code: 'invalid_request' })
  await t.rejects(w.service.confirm('x', NEW_PASSWORD, '192.0.2.7'), { code: 'invalid_grant' })
  await w.service.confirm(token ?? '', NEW_PASSWORD, '192.0.2.7')
  await t.rejects(w.service.confirm('y', NEW_PASSWORD, '192.0.2.7'), { code: 'invalid_grant' })
  await t.rejects(w.service.confirm('z', NEW_PASSWORD, '192.0.2.7'), { code: 'too_many_requests', statusCode: 429 })
  await t.rejects(w.service.confirm('z', NEW_PASSWORD, '192.0.2.8'), { code: 'invalid_grant' }, 'another IP is not held back')
})

t.test('the counter key of a submitted address', async t => {
  t.equal(resetAddressKey({ email: ' Alice@Example.COM ' }), 'alice@example.com')
  t.equal(resetAddressKey({ username: 'Alice' }), 'alice')
})
