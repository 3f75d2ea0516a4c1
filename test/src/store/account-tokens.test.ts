import type { Store } from '../../../src/store/store.js'
import type { AccountTokenPurpose } from '../../../src/store/schema.js'
import { accountTokenHashOf, newAccountToken } from '../../../src/tokens/account-tokens.js'
import { newRefreshToken } from '../../../src/tokens/refresh-tokens.js'
import { eachDialect } from './dialects.js'
import { sessionFixture } from './session-fixture.js'

const NOW = 1_750_000_000_000
const HASH = '$2b$04$' + 'x'.repeat(53)
const NEW_HASH = '$2b$04$' + 'y'.repeat(53)

async function alice (store: Store, email: string | null = 'alice@example.com') {
  return await store.users.create({ username: 'alice', email, fullName: null, passwordHash: HASH, disabled: false, scopes: [] })
}

async function issue (store: Store, userId: number, purpose: AccountTokenPurpose, options: { email?: string, at?: number, ttlMs?: number } = {}) {
  const token = newAccountToken()
  const at = options.at ?? NOW
  await store.accountTokens.issue({ userId, purpose, email: options.email ?? 'alice@example.com', hash: token.hash, expiresAt: at + (options.ttlMs ?? 60_000) }, at)
  return token
}

async function openSession (store: Store, userId: number): Promise<string> {
  const session = sessionFixture(userId, NOW, { scopes: [] })
  await store.sessions.create(session, newRefreshToken().hash)
  return session.id
}

eachDialect('account tokens: a reset token works once, sets the hash, lifts a lockout, verifies the address and revokes every session', async (t, store) => {
  const user = await alice(store)
  const sessions = [await openSession(store, user.id), await openSession(store, user.id)]
  for (const id of sessions) t.equal((await store.sessions.findWithUser(id))?.session.revokedAt, null, 'cached while live')
  const token = await issue(store, user.id, 'password_reset')

  t.equal((await store.accountTokens.peek(token.hash, 'password_reset', NOW))?.username, 'alice', 'peek finds its user')
  t.equal(await store.accountTokens.peek(token.hash, 'email_verification', NOW), undefined, 'only for its purpose')
  t.equal(await store.accountTokens.redeemEmailVerification(token.hash, NOW + 1), undefined, 'a reset token verifies nothing')

  const redeemed = await store.accountTokens.redeemPasswordReset(token.hash, NEW_HASH, NOW + 1)
  t.equal(redeemed?.revokedSessions, 2)
  t.match(redeemed?.user, { passwordHash: NEW_HASH, lockoutGeneration: user.lockoutGeneration + 1, emailVerified: true })
  for (const id of sessions) t.not((await store.sessions.findWithUser(id))?.session.revokedAt, null, 'revoked, and seen so through the cache')
  t.equal(await store.accountTokens.redeemPasswordReset(token.hash, HASH, NOW + 2), undefined, 'used once')
  t.equal(await store.accountTokens.peek(token.hash, 'password_reset', NOW + 2), undefined)
  t.equal((await store.users.findByUsername('alice'))?.passwordHash, NEW_HASH, 'the second try changed nothing')
})

eachDialect('account tokens: a newer token ends the older ones; an expired one is refused and pruned', async (t, store) => {
  const user = await alice(store)
  const older = await issue(store, user.id, 'password_reset')
  const verification = await issue(store, user.id, 'email_verification')
  const newer = await issue(store, user.id, 'password_reset', { at: NOW + 10 })
  t.equal(await store.accountTokens.redeemPasswordReset(older.hash, NEW_HASH, NOW + 20), undefined, 'superseded')
  t.ok(await store.accountTokens.peek(verification.hash, 'email_verification', NOW + 20), 'another purpose is untouched')

  t.equal(await store.accountTokens.redeemPasswordReset(newer.hash, NEW_HASH, NOW + 10 + 60_000), undefined, 'expired at its expiry')
  await issue(store, user.id, 'password_reset', { at: NOW + 200_000 })
  const rows = await store.handle.db.selectFrom('account_tokens').select('hash').execute()
  t.equal(rows.length, 1, 'expired rows are pruned when a token is issued')
})

eachDialect('account tokens: a verification token confirms only the address it was sent to', async (t, store) => {
  const user = await alice(store)
  const token = await issue(store, user.id, 'email_verification')
  const verified = await store.accountTokens.redeemEmailVerification(token.hash, NOW + 1)
  t.equal(verified?.emailVerified, true)
  t.equal((await store.users.findByUsername('alice'))?.emailVerified, true)

  await store.users.update('alice', { email: 'new@example.com', emailVerified: false })
  const stale = await issue(store, user.id, 'email_verification', { email: 'alice@example.com' })
  t.equal(await store.accountTokens.redeemEmailVerification(stale.hash, NOW + 2), undefined, 'the email changed since: nothing is verified')
  t.equal((await store.users.findByUsername('alice'))?.emailVerified, false)
  t.equal(await store.accountTokens.redeemEmailVerification(stale.hash, NOW + 3), undefined, 'and the token is spent')
})

eachDialect('account tokens: a reset sent to an old address does not verify the new one', async (t, store) => {
  const user = await alice(store)
  const token = await issue(store, user.id, 'password_reset', { email: 'old@example.com' })
  const redeemed = await store.accountTokens.redeemPasswordReset(token.hash, NEW_HASH, NOW + 1)
  t.equal(redeemed?.user.emailVerified, false)
})

eachDialect('account tokens: two redemptions at once, one wins', async (t, store) => {
  const user = await alice(store)
  const token = await issue(store, user.id, 'password_reset')
  const results = await Promise.all([1, 2, 3].map(async i => await store.accountTokens.redeemPasswordReset(token.hash, NEW_HASH, NOW + i)))
  t.equal(results.filter(r => r !== undefined).length, 1)
})

eachDialect('account tokens: `also` runs in the transaction: its failure leaves no token', async (t, store) => {
  const user = await alice(store)
  const token = newAccountToken()
  await t.rejects(store.accountTokens.issue({ userId: user.id, purpose: 'password_reset', email: 'alice@example.com', hash: token.hash, expiresAt: NOW + 60_000 }, NOW,
    async (trx, found) => {
      t.equal(found.username, 'alice', 'told the user')
      await store.outbox.enqueue(trx, { to: 'alice@example.com', subject: 'Reset', text: token.token, html: token.token })
      throw new Error('mail refused')
    }), /mail refused/)
  t.equal(await store.accountTokens.peek(token.hash, 'password_reset', NOW), undefined, 'rolled back')
  t.equal(await store.outbox.pendingCount(), 0, 'with its mail')
})

eachDialect('account tokens: the token text is hashed after trimming; malformed ones need no lookup', async (t) => {
  const token = newAccountToken()
  t.equal(accountTokenHashOf(`  ${token.token}\n`), token.hash)
  t.equal(accountTokenHashOf('short'), undefined)
  t.equal(accountTokenHashOf(token.token + '='), undefined)
  t.not(token.hash, token.token, 'only the hash is stored')
})
