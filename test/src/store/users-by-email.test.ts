import { newAccountToken } from '../../../src/tokens/account-tokens.js'
import type { Store } from '../../../src/store/store.js'
import { eachDialect } from './dialects.js'

const NOW = Date.UTC(2026, 0, 1)

const addUser = async (store: Store, username: string, email: string | null) =>
  await store.users.create({ username, email, fullName: null, passwordHash: 'x', disabled: false, scopes: [] })

eachDialect('both purposes fit the purpose column (email_verification is 18 characters)', async (t, store) => {
  const alice = await addUser(store, 'alice', 'alice@example.test')
  for (const purpose of ['password_reset', 'email_verification'] as const) {
    const { hash } = newAccountToken()
    await store.accountTokens.issue({ userId: alice.id, purpose, email: 'alice@example.test', hash, expiresAt: NOW + 60_000 }, NOW)
    t.equal((await store.accountTokens.peek(hash, purpose, NOW))?.username, 'alice', purpose)
  }
})

eachDialect('findByEmail: the whole address case-insensitively, oldest account first, at most the limit', async (t, store) => {
  await addUser(store, 'one', 'Shared@Example.test')
  await addUser(store, 'two', 'shared@example.TEST')
  await addUser(store, 'three', 'shared@example.test')
  await addUser(store, 'other', 'shared@example.tes')
  await addUser(store, 'none', null)
  t.same((await store.users.findByEmail('SHARED@example.test', 10)).map(u => u.username), ['one', 'two', 'three'])
  t.same((await store.users.findByEmail('shared@example.test', 2)).map(u => u.username), ['one', 'two'])
  t.same(await store.users.findByEmail('nobody@example.test', 10), [])
  t.same(await store.users.findByEmail('shared', 10), [], 'no partial match')
  await addUser(store, 'emile', 'Émile@Example.test')
  t.same((await store.users.findByEmail('Émile@example.test', 10)).map(u => u.username), ['emile'], 'a non-ASCII letter as stored')
})
