import t from 'tap'
import { openStore } from '../../../src/store/store.js'
import { tempDir } from '../../helper.js'
import { DIALECTS, eachDialect } from './dialects.js'
import { postgresSchema } from './postgres-schema.js'

const NOW = 1_750_000_000_000
const HASH = '$2b$04$' + 'x'.repeat(53)
const TOKEN = 'T'.repeat(43)

for (const dialect of DIALECTS) {
  t.test(`a TOTP step is accepted once, also by two instances at once [${dialect}]`, async t => {
    const dataDir = tempDir(t)
    const pg = dialect === 'postgres' ? await postgresSchema(t) : undefined
    if (dialect === 'postgres' && pg === undefined) return
    // Two instances: each its own connections to the same database.
    const [store, other] = await Promise.all([1, 2].map(async () => await openStore({ databaseUrl: pg?.url, dataDir, poolSize: 4 })))
    if (store === undefined || other === undefined) throw new Error('two stores')
    t.teardown(async () => { await store.close(); await other.close() })
    const user = await store.users.create({ username: 'alice', email: null, fullName: null, passwordHash: HASH, disabled: false, scopes: [] })
    t.ok(await store.mfa.startEnrolment(user.id, 'sealed', NOW))
    t.notOk(await store.mfa.useStep(user.id, 50), 'not before it is confirmed')
    await store.mfa.confirmEnrolment(user.id, 50, [], NOW, 'none')
    const results = await Promise.all(Array.from({ length: 8 }, async (_, i) => await (i % 2 === 0 ? store : other).mfa.useStep(user.id, 51)))
    t.equal(results.filter(Boolean).length, 1, 'one of eight concurrent uses wins')
    t.notOk(await other.mfa.useStep(user.id, 50), 'an older step is refused too')
    t.ok(await other.mfa.useStep(user.id, 52))
  })
}

eachDialect('an mfa_token: attempts counted atomically, single use, expiry, gone with the factor', async (t, store) => {
  const user = await store.users.create({ username: 'alice', email: null, fullName: null, passwordHash: HASH, disabled: false, scopes: ['a'] })
  await store.mfa.startEnrolment(user.id, 'sealed', NOW)
  await store.mfa.confirmEnrolment(user.id, 1, ['r'.repeat(43)], NOW, 'none')
  await store.mfa.createChallenge({ hash: TOKEN, userId: user.id, clientId: null, scopes: ['a'], authTime: NOW / 1000, expiresAt: NOW + 300_000 }, NOW)
  const claims = await Promise.all(Array.from({ length: 8 }, async () => await store.mfa.claimChallengeAttempt(TOKEN, 5, NOW + 1)))
  t.equal(claims.filter(c => c !== undefined).length, 5, 'five of eight concurrent attempts are counted, the rest refused')
  t.same(claims.map(c => c?.attempts).filter(a => a !== undefined).sort(), [1, 2, 3, 4, 5])
  t.same(claims.find(c => c !== undefined)?.user.username, 'alice')

  await store.mfa.createChallenge({ hash: 'U'.repeat(43), userId: user.id, clientId: null, scopes: [], authTime: NOW / 1000, expiresAt: NOW + 300_000 }, NOW)
  t.equal(await store.mfa.claimChallengeAttempt('U'.repeat(43), 5, NOW + 300_000), undefined, 'expired')
  t.ok(await store.mfa.claimChallengeAttempt('U'.repeat(43), 5, NOW + 1))
  t.ok(await store.mfa.finishChallenge('U'.repeat(43), NOW + 2))
  t.notOk(await store.mfa.finishChallenge('U'.repeat(43), NOW + 2), 'once')
  t.equal(await store.mfa.claimChallengeAttempt('U'.repeat(43), 5, NOW + 3), undefined, 'used')

  await store.mfa.createChallenge({ hash: 'V'.repeat(43), userId: user.id, clientId: null, scopes: [], authTime: NOW / 1000, expiresAt: NOW + 300_000 }, NOW)
  t.same(await store.mfa.remove(user.id, NOW + 4), { revokedSessions: 0 })
  t.equal(await store.mfa.claimChallengeAttempt('V'.repeat(43), 5, NOW + 5), undefined, 'removing the factor ends its pending challenges')
  t.equal(await store.mfa.countEnabled(), 0)
  t.equal(await store.mfa.remove(user.id, NOW + 4), undefined, 'nothing left to remove')
})
