import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { ConfigError, loadConfig } from '../../../src/config.js'
import { ADMIN_SCOPES, bootstrapAdmin, readAdminBootstrap } from '../../../src/users/admin-bootstrap.js'
import { PASSWORD, tempDir } from '../../helper.js'
import { cheapHasher, eachDialect } from '../store/dialects.js'

const newUser = (username: string) => ({ username, email: null, fullName: null, passwordHash: 'x', disabled: false, scopes: [] })

t.test('the settings: one of the two password forms, with a valid username', async t => {
  const settings = (env: Record<string, string>) => loadConfig(env).adminBootstrap
  t.equal(settings({}), undefined, 'off by default')
  t.same(settings({ GATEHOUSE_ADMIN_USERNAME: 'Root-Admin', GATEHOUSE_ADMIN_PASSWORD_FILE: '/run/secrets/admin' }),
    { username: 'root-admin', passwordFile: '/run/secrets/admin', password: undefined })
  const refused = (env: Record<string, string>, problem: RegExp) => {
    const err = (() => { try { loadConfig(env) } catch (e) { return e } })()
    t.ok(err instanceof ConfigError, JSON.stringify(env))
    t.match((err as ConfigError).problems.join('\n'), problem)
    t.notMatch((err as Error).message, 'hunter2-secret', 'the password is never echoed')
  }
  refused({ GATEHOUSE_ADMIN_USERNAME: 'admin', GATEHOUSE_ADMIN_PASSWORD_FILE: '/f', GATEHOUSE_ADMIN_PASSWORD: 'hunter2-secret' }, /GATEHOUSE_ADMIN_PASSWORD, GATEHOUSE_ADMIN_PASSWORD_FILE: set one of them, not both/)
  refused({ GATEHOUSE_ADMIN_USERNAME: 'admin' }, /GATEHOUSE_ADMIN_USERNAME: set GATEHOUSE_ADMIN_PASSWORD_FILE/)
  refused({ GATEHOUSE_ADMIN_PASSWORD: 'hunter2-secret' }, /GATEHOUSE_ADMIN_PASSWORD: set GATEHOUSE_ADMIN_USERNAME too/)
  refused({ GATEHOUSE_ADMIN_USERNAME: 'no spaces', GATEHOUSE_ADMIN_PASSWORD: 'hunter2-secret' }, /GATEHOUSE_ADMIN_USERNAME: use 3 to 64/)
  refused({ GATEHOUSE_ADMIN_USERNAME: 'admin', GATEHOUSE_ADMIN_PASSWORD: 'hunter2-secret', PORT: 'x' }, /PORT/)
})

t.test('the password file: one trailing newline is not part of the password; the policy applies', async t => {
  const dir = tempDir(t)
  const file = join(dir, 'admin-password')
  writeFileSync(file, `${PASSWORD}\n`)
  t.same(readAdminBootstrap({ username: 'admin', passwordFile: file, password: undefined }),
    { username: 'admin', password: PASSWORD, variable: 'GATEHOUSE_ADMIN_PASSWORD_FILE' })
  writeFileSync(file, `${PASSWORD}\r\n`)
  t.equal(readAdminBootstrap({ username: 'admin', passwordFile: file, password: undefined }).password, PASSWORD)
  writeFileSync(file, `${PASSWORD} \n\n`)
  t.equal(readAdminBootstrap({ username: 'admin', passwordFile: file, password: undefined }).password, `${PASSWORD} \n`, 'only one newline is taken off')
  t.equal(readAdminBootstrap({ username: 'admin', passwordFile: undefined, password: PASSWORD }).variable, 'GATEHOUSE_ADMIN_PASSWORD')

  writeFileSync(file, 'password1\n')
  t.throws(() => readAdminBootstrap({ username: 'admin', passwordFile: file, password: undefined }),
    { name: 'ConfigError', message: /GATEHOUSE_ADMIN_PASSWORD_FILE: the admin password is refused: .*too common/ })
  t.throws(() => readAdminBootstrap({ username: 'admin', passwordFile: undefined, password: 'short' }),
    { name: 'ConfigError', message: /GATEHOUSE_ADMIN_PASSWORD: the admin password is refused: .*at least 8 bytes/ })
  t.throws(() => readAdminBootstrap({ username: 'admin', passwordFile: join(dir, 'missing'), password: undefined }),
    { name: 'ConfigError', message: /GATEHOUSE_ADMIN_PASSWORD_FILE: cannot read .*missing \(ENOENT\)/ })
})

eachDialect('bootstrap creates the admin only into an empty store, once', async (t, store) => {
  const hasher = await cheapHasher()
  const admin = { username: 'admin', password: PASSWORD, variable: 'GATEHOUSE_ADMIN_PASSWORD_FILE' as const }
  const first = await bootstrapAdmin({ store, hasher }, admin)
  t.equal(first.outcome, 'created')
  const stored = await store.users.findByUsername('admin')
  t.same(stored?.scopes, ADMIN_SCOPES)
  t.same(ADMIN_SCOPES, ['clients:admin', 'users:admin'], 'both admin scopes: users and clients')
  t.equal(await hasher.verify(PASSWORD, stored?.passwordHash ?? '', 'local'), true, 'the password logs in')
  t.same(await bootstrapAdmin({ store, hasher }, admin), { outcome: 'skipped', reason: 'admin_exists' }, 'idempotent')
  t.same(await bootstrapAdmin({ store, hasher }, { ...admin, username: 'other' }), { outcome: 'skipped', reason: 'users_exist' })
  t.equal(await store.users.findByUsername('other'), undefined)
})

eachDialect('createFirst: many at once, exactly one first user', async (t, store) => {
  const results = await Promise.all(['ann1', 'bob2', 'cyd3', 'dan4', 'eve5', 'ann1', 'bob2'].map(async name => await store.users.createFirst(newUser(name))))
  t.equal(results.filter(r => r !== undefined).length, 1)
  t.equal((await store.users.list({ limit: 10 })).length, 1)
  t.equal(await store.users.createFirst(newUser('late')), undefined)
})
