import t from 'tap'
import type { Session } from '../../../src/sessions/session.js'
import type { AccountTokensRepository } from '../../../src/store/account-tokens-repository.js'
import type { ClientsRepository } from '../../../src/store/clients-repository.js'
import type { MfaRepository } from '../../../src/store/mfa-repository.js'
import type { NewClient } from '../../../src/store/client.js'
import { declareWrites, isDeclaredWrite } from '../../../src/store/declared-writes.js'
import { createSessionsRepository, type SessionsRepository } from '../../../src/store/sessions-repository.js'
import { openStore, type Store } from '../../../src/store/store.js'
import type { UsersRepository } from '../../../src/store/users-repository.js'
import { newRefreshToken } from '../../../src/tokens/refresh-tokens.js'
import { tempDir } from '../../helper.js'
import { sessionFixture } from './session-fixture.js'

// No repository method may leave a stale session in the cache. Every method
// of the three repositories runs once (or a few ways) against a store whose
// cache holds every session; afterwards each cached lookup must equal a
// fresh read of the database, and a method that changed any row must be a
// declared write (src/store/declared-writes.ts). A new method fails this
// test (and the type check of SAMPLES) until it is listed here.

const NOW = 1_750_000_000_000
const HASH = '$2b$04$' + 'x'.repeat(53)

interface World {
  store: Store
  alice: number
  bob: number
  sessions: { a1: string, a2: string, b1: string }
  refresh: { a1: string }
  /** Reads every session through the cache, so that each is cached. */
  warm: () => Promise<void>
}

type Samples<R> = Record<keyof R, Array<(w: World) => Promise<unknown>>>

const SESSIONS: Samples<SessionsRepository> = {
  create: [async w => { await w.store.sessions.create(sessionOf(w.alice), newRefreshToken().hash) }],
  findWithUser: [async w => await w.store.sessions.findWithUser(w.sessions.a1)],
  findByRefreshHash: [async w => await w.store.sessions.findByRefreshHash(w.refresh.a1)],
  rotate: [
    async w => await w.store.sessions.rotate(w.refresh.a1, newRefreshToken().hash, () => true, NOW + 1),
    async w => await w.store.sessions.rotate(w.refresh.a1, newRefreshToken().hash, () => false, NOW + 1),
    async w => {
      await w.store.sessions.rotate(w.refresh.a1, newRefreshToken().hash, () => true, NOW + 1)
      await w.warm()
      const reused = await w.store.sessions.rotate(w.refresh.a1, newRefreshToken().hash, () => true, NOW + 2)
      if (reused.kind !== 'reused') throw new Error('expected reuse')
    }
  ],
  listForUser: [async w => await w.store.sessions.listForUser(w.alice)],
  revoke: [async w => await w.store.sessions.revoke(w.sessions.a1, NOW + 1)],
  revokeForUser: [async w => await w.store.sessions.revokeForUser(w.alice, w.sessions.a2, NOW + 1)],
  revokeAllForUser: [
    async w => await w.store.sessions.revokeAllForUser(w.alice, NOW + 1),
    async w => await w.store.sessions.revokeAllForUser(w.alice, NOW + 1, w.sessions.a1)
  ]
}

const USERS: Samples<UsersRepository> = {
  findByUsername: [async w => await w.store.users.findByUsername('alice')],
  findByEmail: [async w => await w.store.users.findByEmail('Alice@Example.test', 10)],
  create: [async w => await w.store.users.create(newUser('carol'))],
  createFirst: [async w => await w.store.users.createFirst(newUser('dave'))],
  update: [
    async w => await w.store.users.update('alice', { scopes: ['x'] }),
    async w => await w.store.users.update('alice', { disabled: true }),
    async w => await w.store.users.update('alice', { email: 'a@example.test', fullName: 'Alice' })
  ],
  setPasswordHash: [
    async w => { await w.store.users.setPasswordHash(w.alice, HASH.replace('x', 'y')) },
    async w => { await w.store.users.setPasswordHash(w.alice, HASH, { resetLockout: true }) }
  ],
  resetLockout: [async w => await w.store.users.resetLockout('alice')],
  delete: [async w => await w.store.users.delete('alice')],
  list: [async w => await w.store.users.list({ limit: 10 })],
  findMany: [async w => await w.store.users.findMany(['alice', 'nobody'])],
  importMany: [
    async w => await w.store.users.importMany({ create: [newUser('carol')], update: [{ ...newUser('alice'), disabled: true, hashChanged: false }] }),
    async w => await w.store.users.importMany({ create: [], update: [{ ...newUser('alice'), passwordHash: HASH.replace('x', 'y'), hashChanged: true }] })
  ]
}

const CLIENTS: Samples<ClientsRepository> = {
  findById: [async w => await w.store.clients.findById('web')],
  create: [async w => await w.store.clients.create(newClient('cli'))],
  update: [
    async w => await w.store.clients.update('web', { name: 'Web', scopes: ['x'], grantTypes: ['password'], accessTokenTtlSeconds: 60 }),
    async w => {
      await w.store.clients.update('web', { disabled: true })
      // The point of the declaration: the client's cached session is seen revoked at once.
      if ((await w.store.sessions.findWithUser(w.sessions.a1))?.session.revokedAt == null) throw new Error('a1 was not revoked')
    },
    async w => await w.store.clients.update('web', { disabled: false }),
    async w => await w.store.clients.update('nobody', { disabled: true })
  ],
  setSecretHash: [
    async w => await w.store.clients.setSecretHash('svc', 'y'.repeat(43)),
    async w => await w.store.clients.setSecretHash('svc', null)
  ],
  delete: [
    async w => {
      await w.store.clients.delete('web')
      if (await w.store.sessions.findWithUser(w.sessions.a1) !== undefined) throw new Error('a1 outlived its client')
    },
    async w => await w.store.clients.delete('nobody')
  ],
  list: [async w => await w.store.clients.list({ limit: 10 })]
}

const TOKEN = 'T'.repeat(43)
const issueFor = async (w: World, purpose: 'password_reset' | 'email_verification', email = 'alice@example.test') => {
  await w.store.accountTokens.issue({ userId: w.alice, purpose, email, hash: TOKEN, expiresAt: NOW + 60_000 }, NOW)
}

const ACCOUNT_TOKENS: Samples<AccountTokensRepository> = {
  issue: [async w => { await issueFor(w, 'password_reset') }],
  redeemPasswordReset: [
    async w => {
      await issueFor(w, 'password_reset')
      await w.warm()
      const redeemed = await w.store.accountTokens.redeemPasswordReset(TOKEN, HASH.replace('x', 'z'), NOW + 1)
      if (redeemed?.revokedSessions !== 2) throw new Error('a reset revokes every session of the user')
    },
    async w => await w.store.accountTokens.redeemPasswordReset('unknown', HASH, NOW + 1)
  ],
  redeemEmailVerification: [
    async w => {
      await w.store.users.update('alice', { email: 'alice@example.test' })
      await issueFor(w, 'email_verification')
      await w.warm()
      if ((await w.store.accountTokens.redeemEmailVerification(TOKEN, NOW + 1))?.emailVerified !== true) throw new Error('not verified')
    }
  ],
  peek: [async w => await w.store.accountTokens.peek(TOKEN, 'password_reset', NOW)],
  lastIssuedAt: [async w => await w.store.accountTokens.lastIssuedAt(w.alice, 'email_verification', NOW)],
  changeEmail: [
    async w => {
      await w.store.users.update('alice', { email: 'alice@example.test', emailVerified: true })
      await issueFor(w, 'email_verification')
      await w.warm()
      const changed = await w.store.accountTokens.changeEmail(w.alice, 'new@example.test', { hash: 'U'.repeat(43), expiresAt: NOW + 60_000 }, NOW + 1)
      if (changed?.email !== 'new@example.test' || changed.emailVerified) throw new Error('not changed, or still verified')
      if (await w.store.accountTokens.redeemEmailVerification(TOKEN, NOW + 2) !== undefined) throw new Error('the old address\'s token still confirms')
    },
    async w => await w.store.accountTokens.changeEmail(w.alice, null, undefined, NOW + 1),
    async w => await w.store.accountTokens.changeEmail(9999, 'x@example.test', undefined, NOW + 1)
  ]
}

const enrolled = async (w: World, confirm = true) => {
  await w.store.mfa.startEnrolment(w.alice, 'sealed-secret', NOW)
  if (confirm) await w.store.mfa.confirmEnrolment(w.alice, 100, ['r'.repeat(43)], NOW, w.sessions.a1)
  await w.warm()
}
const challenged = async (w: World) => {
  await w.store.mfa.createChallenge({ hash: TOKEN, userId: w.alice, clientId: null, scopes: ['a'], authTime: NOW / 1000, expiresAt: NOW + 60_000 }, NOW)
}

const MFA: Samples<MfaRepository> = {
  findTotp: [async w => await w.store.mfa.findTotp(w.alice)],
  isEnabled: [async w => await w.store.mfa.isEnabled(w.alice)],
  countEnabled: [async w => await w.store.mfa.countEnabled()],
  startEnrolment: [
    async w => await w.store.mfa.startEnrolment(w.alice, 'sealed-secret', NOW),
    async w => { await enrolled(w); if (await w.store.mfa.startEnrolment(w.alice, 'other', NOW)) throw new Error('replaced a confirmed factor') }
  ],
  reseal: [async w => { await enrolled(w); await w.store.mfa.reseal(w.alice, 'sealed-secret', 'resealed') }],
  confirmEnrolment: [
    async w => {
      await enrolled(w, false)
      const change = await w.store.mfa.confirmEnrolment(w.alice, 100, ['r'.repeat(43)], NOW + 1, w.sessions.a1)
      // The point of the declaration: alice's other session is seen revoked at once.
      if (change?.revokedSessions !== 1 || (await w.store.sessions.findWithUser(w.sessions.a2))?.session.revokedAt == null) throw new Error('a2 was not revoked')
    },
    async w => await w.store.mfa.confirmEnrolment(w.alice, 100, [], NOW + 1, w.sessions.a1)
  ],
  useStep: [async w => { await enrolled(w); if (!await w.store.mfa.useStep(w.alice, 101) || await w.store.mfa.useStep(w.alice, 101)) throw new Error('a step was used twice') }],
  useRecoveryCode: [async w => { await enrolled(w); if (!await w.store.mfa.useRecoveryCode(w.alice, 'r'.repeat(43), NOW) || await w.store.mfa.useRecoveryCode(w.alice, 'r'.repeat(43), NOW)) throw new Error('a code was used twice') }],
  remainingRecoveryCodes: [async w => await w.store.mfa.remainingRecoveryCodes(w.alice)],
  replaceRecoveryCodes: [
    async w => { await enrolled(w); await w.store.mfa.replaceRecoveryCodes(w.alice, ['s'.repeat(43)], NOW + 1, w.sessions.a1) },
    async w => await w.store.mfa.replaceRecoveryCodes(w.bob, ['s'.repeat(43)], NOW + 1, w.sessions.b1)
  ],
  remove: [
    async w => { await enrolled(w); await challenged(w); await w.store.mfa.remove(w.alice, NOW + 1) },
    async w => { await enrolled(w); await w.store.mfa.remove(w.alice, NOW + 1, w.sessions.a1) },
    async w => await w.store.mfa.remove(w.bob, NOW + 1)
  ],
  createChallenge: [async w => { await challenged(w) }],
  claimChallengeAttempt: [
    async w => { await challenged(w); if ((await w.store.mfa.claimChallengeAttempt(TOKEN, 1, NOW))?.attempts !== 1 || await w.store.mfa.claimChallengeAttempt(TOKEN, 1, NOW) !== undefined) throw new Error('attempts not limited') },
    async w => { await challenged(w); if (await w.store.mfa.claimChallengeAttempt(TOKEN, 5, NOW + 60_000) !== undefined) throw new Error('expired challenge claimed') }
  ],
  finishChallenge: [async w => { await challenged(w); if (!await w.store.mfa.finishChallenge(TOKEN, NOW) || await w.store.mfa.finishChallenge(TOKEN, NOW)) throw new Error('finished twice') }]
}

function newClient (id: string, secretHash: string | null = null): NewClient {
  return { id, name: id, secretHash, grantTypes: ['password', 'refresh_token'], scopes: [], accessTokenTtlSeconds: null, disabled: false }
}

function newUser (username: string) {
  return { username, email: null, fullName: null, passwordHash: HASH, disabled: false, scopes: ['a', 'b'] }
}

function sessionOf (userId: number, clientId: string | null = null): Session {
  return sessionFixture(userId, NOW, { clientId })
}

async function world (t: Parameters<typeof tempDir>[0]): Promise<World & { fresh: SessionsRepository, changes: () => number }> {
  const store = await openStore({ databaseUrl: undefined, dataDir: tempDir(t), poolSize: 1, sessionCacheSize: 100 })
  t.teardown(store.close)
  const sqlite = store.handle.sqlite
  if (sqlite === undefined || store.sessionCache === undefined) throw new Error('the embedded store caches its lookups')
  const alice = (await store.users.create(newUser('alice'))).id
  const bob = (await store.users.create(newUser('bob'))).id
  await store.clients.create(newClient('web'))
  await store.clients.create(newClient('svc', 'h'.repeat(43)))
  const refresh = newRefreshToken()
  // a1 was opened through the client web, b1 through svc, a2 through none.
  const a1 = sessionOf(alice, 'web')
  const a2 = sessionOf(alice)
  const b1 = sessionOf(bob, 'svc')
  await store.sessions.create(a1, refresh.hash)
  await store.sessions.create(a2, newRefreshToken().hash)
  await store.sessions.create(b1, newRefreshToken().hash)
  const sessions = { a1: a1.id, a2: a2.id, b1: b1.id }
  const warm = async () => { for (const id of Object.values(sessions)) await store.sessions.findWithUser(id) }
  await warm()
  const totalChanges = sqlite.prepare('select total_changes() as n').pluck()
  return {
    store,
    alice,
    bob,
    sessions,
    refresh: { a1: refresh.hash },
    warm,
    // The same database, read without the cache.
    fresh: createSessionsRepository(store.handle.db, { sqlite }),
    changes: () => Number(totalChanges.get())
  }
}

for (const [repository, samples] of [['sessions', SESSIONS], ['users', USERS], ['clients', CLIENTS], ['accountTokens', ACCOUNT_TOKENS], ['mfa', MFA]] as const) {
  t.test(`every method of the ${repository} repository leaves no stale session cached`, async t => {
    for (const [name, calls] of Object.entries(samples)) {
      for (const [i, call] of calls.entries()) {
        await t.test(`${name} #${i + 1}`, async t => {
          const w = await world(t)
          t.equal(w.store.sessionCache?.size, 3, 'every session cached')
          const before = w.changes()
          await call(w)
          const wrote = w.changes() > before
          const method = (w.store[repository] as unknown as Record<string, unknown>)[name]
          if (wrote) t.ok(isDeclaredWrite(method), `${name} changed rows, so it must be a declared write`)
          for (const id of Object.values(w.sessions)) {
            t.same(await w.store.sessions.findWithUser(id), await w.fresh.findWithUser(id), `session ${id}: cached = fresh`)
          }
        })
      }
    }
  })

  t.test(`every method of the ${repository} repository is exercised here`, async t => {
    const w = await world(t)
    t.same(Object.keys(w.store[repository]).sort(), Object.keys(samples).sort())
  })
}

t.test('a failed write forgets nothing, unless lookups can read uncommitted rows (SQLite): then everything', async t => {
  for (const uncommittedReads of [false, true]) {
    const told: string[] = []
    const write = declareWrites({ forgetSession: id => told.push(`s:${id}`), forgetUser: id => told.push(`u:${id}`), clear: () => told.push('*') }, { uncommittedReads })
    const revoke = write(([id]: [string]) => ({ sessions: [id] }), async (id: string) => { if (id === 'bad') throw new Error('failed'); return true })
    await revoke('s1')
    await t.rejects(revoke('bad'), /failed/)
    t.same(told, uncommittedReads ? ['s:s1', '*'] : ['s:s1'], `uncommittedReads: ${uncommittedReads}`)
  }
})
