import t from 'tap'
import { PASSWORD, tempDir, TEST_SECRET } from '../helper.js'
import { baseEnv, requireBuild, runCli } from '../child-process.js'
import { openStore } from '../../src/store/store.js'

// Each CLI call is a new Node process that hashes at BCRYPT_COST 10: on a busy
// 2-core machine the file needs more than the default per-file budget.
t.setTimeout(300_000)

requireBuild()

async function readUser (dataDir: string, username: string) {
  const store = await openStore({ databaseUrl: undefined, dataDir, poolSize: 1 })
  try {
    return await store.users.findByUsername(username)
  } finally {
    await store.close()
  }
}

t.test('user add / disable / enable / scopes / delete', async t => {
  const cwd = tempDir(t)
  const dataDir = tempDir(t)
  const env = baseEnv({ DATA_DIR: dataDir, JWT_SECRET: TEST_SECRET, BCRYPT_COST: '10' })
  const cli = async (args: string[], stdin?: string) => await runCli(args, { env, cwd, stdin })

  const added = await cli(['user', 'add', 'Root', '--scopes', 'users:admin', '--email', 'root@example.com'], `${PASSWORD}\n`)
  t.equal(added.code, 0, added.stderr)
  t.match(added.stdout, /created root with scopes users:admin/)
  t.notOk(added.stdout.includes(PASSWORD) || added.stderr.includes(PASSWORD), 'the password is not echoed')
  const root = await readUser(dataDir, 'root')
  t.match(root, { username: 'root', email: 'root@example.com', scopes: ['users:admin'], disabled: false })
  t.match(root?.passwordHash, /^\$2b\$10\$/, 'hashed at BCRYPT_COST')

  const taken = await cli(['user', 'add', 'ROOT'], `${PASSWORD}\n`)
  t.not(taken.code, 0)
  t.match(taken.stderr, /taken/)

  t.equal((await cli(['user', 'disable', 'root'])).code, 0)
  t.equal((await readUser(dataDir, 'root'))?.disabled, true)
  t.equal((await cli(['user', 'enable', 'root'])).code, 0)
  t.equal((await readUser(dataDir, 'root'))?.disabled, false)

  const scopes = await cli(['user', 'scopes', 'root', 'users:admin,reports:read'])
  t.equal(scopes.code, 0)
  t.match(scopes.stdout, /reports:read users:admin/)
  t.same((await readUser(dataDir, 'root'))?.scopes, ['reports:read', 'users:admin'])

  const deleted = await cli(['user', 'delete', 'root'])
  t.equal(deleted.code, 0)
  t.equal(await readUser(dataDir, 'root'), undefined)
  const missing = await cli(['user', 'delete', 'root'])
  t.not(missing.code, 0)
  t.match(missing.stderr, /No such user/)
})

t.test('policy refusals exit non-zero naming the rule', async t => {
  const cwd = tempDir(t)
  const dataDir = tempDir(t)
  const env = baseEnv({ DATA_DIR: dataDir, JWT_SECRET: TEST_SECRET, BCRYPT_COST: '10' })
  const cases: Array<[string, RegExp]> = [
    ['short\n', /at least 8 bytes/],
    ['password1\n', /too common/],
    ['alice-the-admin\n', /not be the username/]
  ]
  // Independent processes: run them side by side to keep the suite quick.
  const results = await Promise.all(cases.map(async ([stdin]) => await runCli(['user', 'add', 'alice-the-admin'], { env, cwd, stdin })))
  cases.forEach(([stdin, rule], i) => {
    t.equal(results[i]?.code, 1, stdin.trim())
    t.match(results[i]?.stderr, rule)
    t.notMatch(results[i]?.stderr, /already exists|locked/, 'processes opening a fresh data folder at once do not collide')
  })
  t.equal(await readUser(dataDir, 'alice-the-admin'), undefined, 'nothing was created')
})

t.test('secret generate prints at least 32 random bytes', async t => {
  const cwd = tempDir(t)
  const [first, second] = await Promise.all([
    runCli(['secret', 'generate'], { env: baseEnv({}), cwd }),
    runCli(['secret', 'generate'], { env: baseEnv({}), cwd })
  ]) as [Awaited<ReturnType<typeof runCli>>, Awaited<ReturnType<typeof runCli>>]
  t.equal(first.code, 0)
  const secret = first.stdout.trim()
  t.match(secret, /^[A-Za-z0-9_-]+$/)
  t.ok(Buffer.from(secret, 'base64url').length >= 32, `${Buffer.from(secret, 'base64url').length} bytes`)
  t.not(secret, second.stdout.trim())
})

t.test('usage errors and bad configuration', async t => {
  const cwd = tempDir(t)
  const usage = await runCli(['frobnicate'], { env: baseEnv({}), cwd })
  t.equal(usage.code, 64)
  t.match(usage.stderr, /usage:/)
  const config = await runCli(['user', 'disable', 'x'], { env: baseEnv({ DATA_DIR: tempDir(t), BCRYPT_COST: '3' }), cwd })
  t.equal(config.code, 1)
  t.match(config.stderr, /BCRYPT_COST/)
})
