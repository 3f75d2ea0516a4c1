import type { Store } from '../../../src/store/store.js'
import { newAccountToken } from '../../../src/tokens/account-tokens.js'
import { eachDialect } from './dialects.js'

// The two account-token methods of email verification (src/account/email-verification.ts),
// on both dialects: the resend throttle's lookup, and the email change in one transaction.

const NOW = 1_750_000_000_000
const HASH = '$2b$04$' + 'x'.repeat(53)

async function alice (store: Store, email: string | null, emailVerified = false) {
  return await store.users.create({ username: 'alice', email, fullName: null, passwordHash: HASH, disabled: false, scopes: [], emailVerified })
}

async function issueAt (store: Store, userId: number, at: number, email = 'old@example.com') {
  const token = newAccountToken()
  await store.accountTokens.issue({ userId, purpose: 'email_verification', email, hash: token.hash, expiresAt: at + 60_000 }, at)
  return token
}

eachDialect('lastIssuedAt: the newest unexpired token of the purpose, used or not', async (t, store) => {
  const user = await alice(store, 'old@example.com')
  t.equal(await store.accountTokens.lastIssuedAt(user.id, 'email_verification', NOW), undefined, 'none yet')
  await issueAt(store, user.id, NOW)
  const second = await issueAt(store, user.id, NOW + 1000)
  t.equal(await store.accountTokens.lastIssuedAt(user.id, 'email_verification', NOW + 2000), NOW + 1000)
  t.equal(await store.accountTokens.lastIssuedAt(user.id, 'password_reset', NOW + 2000), undefined, 'per purpose')
  t.equal(await store.accountTokens.lastIssuedAt(user.id, 'email_verification', NOW + 61_000), undefined, 'expired tokens do not count')
  t.ok(await store.accountTokens.redeemEmailVerification(second.hash, NOW + 2000))
  t.equal(await store.accountTokens.lastIssuedAt(user.id, 'email_verification', NOW + 3000), NOW + 1000, 'a used one still counts: ending a link reopens no window')
})

eachDialect('changeEmail: the address and its state, the live links ended, the new link stored, all with the mail or not at all', async (t, store) => {
  const user = await alice(store, 'old@example.com', true)
  const old = await issueAt(store, user.id, NOW)
  const fresh = newAccountToken()
  const told: Array<{ email: string | null, previous: string | null }> = []
  const changed = await store.accountTokens.changeEmail(user.id, 'new@example.com', { hash: fresh.hash, expiresAt: NOW + 60_000 }, NOW + 1, async (_trx, after, previous) => {
    told.push({ email: after.email, previous })
  })
  t.match(changed, { email: 'new@example.com', emailVerified: false, updatedAt: NOW + 1 })
  t.same(told, [{ email: 'new@example.com', previous: 'old@example.com' }], 'the mails are told both addresses')
  t.equal(await store.accountTokens.redeemEmailVerification(old.hash, NOW + 2), undefined, 'the old address\'s link is ended')
  t.equal(await store.accountTokens.lastIssuedAt(user.id, 'email_verification', NOW + 2), NOW + 1, 'the new link is live')
  t.match(await store.accountTokens.redeemEmailVerification(fresh.hash, NOW + 3), { email: 'new@example.com', emailVerified: true })

  const failing = await store.accountTokens.changeEmail(user.id, 'other@example.com', { hash: newAccountToken().hash, expiresAt: NOW + 60_000 }, NOW + 4, async () => {
    throw new Error('the mail could not be written')
  }).catch((err: Error) => err)
  t.match(failing, /could not be written/)
  t.match(await store.users.findByUsername('alice'), { email: 'new@example.com', emailVerified: true }, 'rolled back with its mail')
  t.equal(await store.accountTokens.lastIssuedAt(user.id, 'email_verification', NOW + 5), NOW + 1, 'no link stored: the newest is still the one before')

  t.match(await store.accountTokens.changeEmail(user.id, null, undefined, NOW + 6), { email: null, emailVerified: false }, 'removed')
  t.equal(await store.accountTokens.changeEmail(user.id + 1000, 'x@example.com', undefined, NOW + 7), undefined, 'an unknown user')
})
