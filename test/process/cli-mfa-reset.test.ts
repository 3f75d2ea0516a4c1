import t from 'tap'
import { openStore } from '../../src/store/store.js'
import { baseEnv, requireBuild, runCli } from '../child-process.js'
import { PASSWORD, tempDir, TEST_SECRET } from '../helper.js'

requireBuild()
t.setTimeout(120_000)

t.test('`user mfa-reset` turns off a user\'s second factor and revokes their sessions', async t => {
  const cwd = tempDir(t)
  const dataDir = tempDir(t)
  const env = baseEnv({ DATA_DIR: dataDir, JWT_SECRET: TEST_SECRET, BCRYPT_COST: '10', LOG_LEVEL: 'warn' })
  t.equal((await runCli(['user', 'add', 'alice'], { env, cwd, stdin: `${PASSWORD}\n` })).code, 0)

  const store = await openStore({ databaseUrl: undefined, dataDir, poolSize: 1 })
  const user = await store.users.findByUsername('alice')
  if (user === undefined) throw new Error('alice was not added')
  const now = Date.now()
  await store.mfa.startEnrolment(user.id, 'v1.sealed', now)
  await store.mfa.confirmEnrolment(user.id, 1, ['r'.repeat(43)], now, 'other')
  await store.sessions.create({ id: 's'.repeat(22), userId: user.id, scopes: [], authTime: Math.floor(now / 1000), createdAt: now, lastUsedAt: now, expiresAt: now + 60_000, userAgent: null, ip: null, revokedAt: null, clientId: null }, 'h'.repeat(43))
  await store.close()

  const reset = await runCli(['user', 'mfa-reset', 'Alice'], { env, cwd })
  t.same({ code: reset.code, stdout: reset.stdout.trim() }, { code: 0, stdout: 'second factor reset for alice; 1 session(s) revoked' })
  const again = await runCli(['user', 'mfa-reset', 'alice'], { env, cwd })
  t.same({ code: again.code, stdout: again.stdout.trim() }, { code: 0, stdout: 'alice has no second factor; nothing changed' })
  const unknown = await runCli(['user', 'mfa-reset', 'nobody'], { env, cwd })
  t.equal(unknown.code, 1)
  t.match(unknown.stderr, /No such user/)
})
