import type { Session } from '../../../src/sessions/session.js'
import type { Store } from '../../../src/store/store.js'
import { newRefreshToken, newSessionId } from '../../../src/tokens/refresh-tokens.js'
import { eachDialect } from './dialects.js'

const NOW = 1_750_000_000_000

async function userWithSession (store: Store, username: string, at = NOW): Promise<{ session: Session, refreshHash: string }> {
  const user = await store.users.findByUsername(username) ?? await store.users.create({
    username, email: null, fullName: null, passwordHash: '$2b$04$' + 'x'.repeat(53), disabled: false, scopes: ['a', 'b']
  })
  const session: Session = {
    id: newSessionId(),
    userId: user.id,
    scopes: ['a'],
    authTime: Math.floor(at / 1000),
    createdAt: at,
    lastUsedAt: at,
    expiresAt: at + 86_400_000,
    userAgent: 'test-agent',
    ip: '127.0.0.1',
    revokedAt: null,
    clientId: null
  }
  const refresh = newRefreshToken()
  await store.sessions.create(session, refresh.hash)
  return { session, refreshHash: refresh.hash }
}

const accept = () => true

eachDialect('sessions: create, find with user, find by refresh hash, list', async (t, store) => {
  const { session, refreshHash } = await userWithSession(store, 'alice')
  const older = await userWithSession(store, 'alice', NOW - 1000)
  await userWithSession(store, 'bob')

  const found = await store.sessions.findWithUser(session.id)
  t.same(found?.session, session)
  t.equal(found?.user.username, 'alice')
  t.equal(await store.sessions.findWithUser('no-such-session'), undefined)
  t.equal((await store.sessions.findByRefreshHash(refreshHash))?.session.id, session.id)
  t.equal(await store.sessions.findByRefreshHash(newRefreshToken().hash), undefined)

  const listed = await store.sessions.listForUser(session.userId)
  t.same(listed.map(s => s.id), [session.id, older.session.id], 'newest first, only this user')
})

eachDialect('sessions: revoke one, revoke for a user, revoke all but one', async (t, store) => {
  const a1 = await userWithSession(store, 'alice')
  const a2 = await userWithSession(store, 'alice')
  const a3 = await userWithSession(store, 'alice')
  const b1 = await userWithSession(store, 'bob')
  const alice = a1.session.userId

  t.equal(await store.sessions.revoke(a1.session.id, NOW + 1), true)
  t.equal(await store.sessions.revoke(a1.session.id, NOW + 2), false, 'already revoked')
  t.equal((await store.sessions.findWithUser(a1.session.id))?.session.revokedAt, NOW + 1)
  t.equal(await store.sessions.revokeForUser(alice, b1.session.id, NOW), false, "another user's session is not revoked")
  t.equal((await store.sessions.findWithUser(b1.session.id))?.session.revokedAt, null)
  t.equal(await store.sessions.revokeAllForUser(alice, NOW, a3.session.id), 1, 'a2 only')
  t.same((await store.sessions.listForUser(alice)).map(s => s.id), [a3.session.id])
  t.equal(await store.sessions.revokeForUser(alice, a3.session.id, NOW), true)
  t.same(await store.sessions.listForUser(alice), [])
  t.equal(a2.session.userId, alice)
})

eachDialect('sessions: rotation, then reuse of the old token revokes the session', async (t, store) => {
  const { session, refreshHash } = await userWithSession(store, 'alice')
  const second = newRefreshToken()
  const rotated = await store.sessions.rotate(refreshHash, second.hash, accept, NOW + 10)
  t.match(rotated, { kind: 'rotated', generation: 2, session: { id: session.id, lastUsedAt: NOW + 10 } })

  const third = newRefreshToken()
  const reused = await store.sessions.rotate(refreshHash, third.hash, accept, NOW + 20)
  t.equal(reused.kind, 'reused')
  t.equal((await store.sessions.findWithUser(session.id))?.session.revokedAt, NOW + 20, 'the whole session is revoked')
  t.equal(await store.sessions.findByRefreshHash(third.hash), undefined, 'no successor was stored')
  t.equal((await store.sessions.rotate(newRefreshToken().hash, third.hash, accept, NOW)).kind, 'unknown')
})

eachDialect('sessions: a refused rotation consumes nothing', async (t, store) => {
  const { refreshHash } = await userWithSession(store, 'alice')
  const refused = await store.sessions.rotate(refreshHash, newRefreshToken().hash, () => false, NOW)
  t.equal(refused.kind, 'refused')
  const next = newRefreshToken()
  t.equal((await store.sessions.rotate(refreshHash, next.hash, accept, NOW)).kind, 'rotated', 'the token is still usable')
})

eachDialect('sessions: two concurrent rotations of one token: exactly one rotates, the other is reuse', async (t, store) => {
  for (let round = 0; round < 5; round++) {
    const { session, refreshHash } = await userWithSession(store, `user${round}`)
    const [x, y] = [newRefreshToken(), newRefreshToken()]
    const results = await Promise.all([
      store.sessions.rotate(refreshHash, x.hash, accept, NOW + 1),
      store.sessions.rotate(refreshHash, y.hash, accept, NOW + 1)
    ])
    t.same(results.map(r => r.kind).sort(), ['reused', 'rotated'], `round ${round}`)
    t.not((await store.sessions.findWithUser(session.id))?.session.revokedAt, null, 'the race revoked the session')
  }
})

eachDialect('sessions: deleting a user deletes its sessions and refresh tokens', async (t, store) => {
  const { session, refreshHash } = await userWithSession(store, 'alice')
  const other = await userWithSession(store, 'bob')
  t.equal(await store.users.delete('alice'), true)
  t.equal(await store.sessions.findWithUser(session.id), undefined)
  t.equal(await store.sessions.findByRefreshHash(refreshHash), undefined)
  const orphans = await store.handle.db.selectFrom('refresh_tokens').select('hash').where('session_id', '=', session.id).execute()
  t.same(orphans, [], 'no refresh token row left behind')
  t.ok(await store.sessions.findWithUser(other.session.id), "other users' sessions stay")
})
