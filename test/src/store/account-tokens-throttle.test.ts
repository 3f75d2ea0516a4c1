import t from 'tap'
import { RecentlyIssuedError } from '../../../src/store/account-tokens-repository.js'
import { openStore, type Store } from '../../../src/store/store.js'
import { newAccountToken } from '../../../src/tokens/account-tokens.js'
import { tempDir } from '../../helper.js'
import { eachDialect } from './dialects.js'
import { postgresSchema } from './postgres-schema.js'

// The verification resend throttle decided inside the write's transaction
// (the user's row locked on PostgreSQL, the write lock on SQLite): of two
// requests at once, exactly one stores a token and mails it. A check made
// before the transaction let both through.

const NOW = 1_750_000_000_000
const WINDOW_MS = 60_000
const HASH = '$2b$04$' + 'x'.repeat(53)

async function alice (store: Store) {
  return await store.users.create({ username: 'alice', email: 'alice@example.com', fullName: null, passwordHash: HASH, disabled: false, scopes: [] })
}

/** A throttled issue, counting the mails its transaction would enqueue. */
function throttledIssue (store: Store, userId: number, at: number, mails: string[]) {
  const token = newAccountToken()
  return store.accountTokens.issue(
    { userId, purpose: 'email_verification', email: 'alice@example.com', hash: token.hash, expiresAt: at + 3_600_000 }, at,
    async () => { mails.push(token.hash) }, { notWithinMs: WINDOW_MS })
}

const liveTokens = async (store: Store) =>
  await store.handle.db.selectFrom('account_tokens').select('hash').where('used_at', 'is', null).execute()

function outcomes (results: Array<PromiseSettledResult<unknown>>) {
  return {
    fulfilled: results.filter(r => r.status === 'fulfilled').length,
    throttled: results.filter(r => r.status === 'rejected' && r.reason instanceof RecentlyIssuedError).length
  }
}

eachDialect('throttled issue: of five at once, one token is stored and mailed; the others write nothing', async (t, store) => {
  const user = await alice(store)
  const mails: string[] = []
  const results = await Promise.allSettled(Array.from({ length: 5 }, async () => { await throttledIssue(store, user.id, NOW, mails) }))
  t.same(outcomes(results), { fulfilled: 1, throttled: 4 })
  t.equal(mails.length, 1, 'one mail')
  t.same((await liveTokens(store)).map(row => row.hash), mails, 'the one token stored is the mailed one')
  const refused = results.find(r => r.status === 'rejected')
  t.equal(refused?.status === 'rejected' && (refused.reason as RecentlyIssuedError).lastIssuedAt, NOW, 'the refusal says when the last one went out')

  await t.rejects(throttledIssue(store, user.id, NOW + WINDOW_MS - 1, mails), RecentlyIssuedError, 'still inside the window')
  await throttledIssue(store, user.id, NOW + WINDOW_MS, mails)
  t.equal(mails.length, 2, 'the window over: the next one goes out')
  t.equal((await liveTokens(store)).length, 1, 'and replaces the older link')
})

eachDialect('throttled email change: of two changes at once, one sets its address and mails its link; the other changes nothing', async (t, store) => {
  const user = await alice(store)
  const change = async (email: string) => {
    const token = newAccountToken()
    return await store.accountTokens.changeEmail(user.id, email, { hash: token.hash, expiresAt: NOW + 3_600_000 }, NOW, undefined, { notWithinMs: WINDOW_MS })
  }
  const results = await Promise.allSettled([change('one@example.com'), change('two@example.com')])
  t.same(outcomes(results), { fulfilled: 1, throttled: 1 })
  const winner = results.find(r => r.status === 'fulfilled')
  const stored = await store.users.findByUsername('alice')
  t.equal(stored?.email, winner?.status === 'fulfilled' ? winner.value?.email : undefined, 'the address is the winner\'s')
  t.equal((await liveTokens(store)).length, 1, 'one link')
  t.equal((await store.accountTokens.changeEmail(user.id, null, undefined, NOW + 1, undefined, { notWithinMs: WINDOW_MS }))?.email, null,
    'removing the address is not throttled')
})

t.test('two instances on one PostgreSQL: a resend sent to both at once mails once', async t => {
  const pg = await postgresSchema(t)
  if (pg === undefined) return
  const open = async () => {
    const store = await openStore({ databaseUrl: pg.url, dataDir: tempDir(t), poolSize: 4, sessionCacheSize: 1000 })
    t.teardown(store.close)
    return store
  }
  const a = await open()
  const b = await open()
  const user = await alice(a)
  const mails: string[] = []
  for (let round = 0; round < 5; round++) {
    const at = NOW + round * WINDOW_MS
    const results = await Promise.allSettled([a, b, a, b].map(async store => { await throttledIssue(store, user.id, at, mails) }))
    t.same(outcomes(results), { fulfilled: 1, throttled: 3 }, `round ${round + 1}`)
  }
  t.equal(mails.length, 5)
})
