import { existsSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { PASSWORD, tempDir, TEST_SECRET } from '../helper.js'
import { baseEnv, CLI, requireBuild, runCli, spawnChild } from '../child-process.js'
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
  t.equal(usage.code, 2)
  t.match(usage.stderr, /^gatehouse: unknown command 'frobnicate'\n/)
  const config = await runCli(['user', 'disable', 'x'], { env: baseEnv({ DATA_DIR: tempDir(t), BCRYPT_COST: '3' }), cwd })
  t.equal(config.code, 1)
  t.match(config.stderr, /BCRYPT_COST: expected a whole number from 10 to 15 \(got "3"\)/)
  const algorithm = await runCli(['user', 'list'], { env: baseEnv({ DATA_DIR: tempDir(t), JWT_ALGORITHM: 'HS999' }), cwd })
  t.equal(algorithm.code, 1)
  t.match(algorithm.stderr, /JWT_ALGORITHM: expected one of HS256, RS256, ES256, EdDSA \(got "HS999"\)/)
  const missing = join(tempDir(t), 'no', 'such', 'dir')
  const sqlite = await runCli(['user', 'list'], { env: baseEnv({ DATABASE_URL: `sqlite:${missing}/x.sqlite` }), cwd })
  t.equal(sqlite.code, 1)
  t.match(sqlite.stderr, `DATABASE_URL: the folder ${missing} does not exist`)
  t.notOk(existsSync(missing), 'the folder was not created')
})

t.test('user list and user show, as text and as JSON; an invalid email is refused as the API refuses it', async t => {
  const cwd = tempDir(t)
  const dataDir = tempDir(t)
  const env = baseEnv({ DATA_DIR: dataDir, JWT_SECRET: TEST_SECRET, BCRYPT_COST: '10' })
  const cli = async (args: string[], stdin?: string) => await runCli(args, { env, cwd, stdin })

  const empty = await cli(['user', 'list'])
  t.equal(empty.code, 0, empty.stderr)
  t.equal(empty.stdout, 'no users yet\n')
  t.same(JSON.parse((await cli(['user', 'list', '--json'])).stdout), [])

  const invalid = await cli(['user', 'add', 'carol', '--email', 'carol at example.com'], `${PASSWORD}\n`)
  t.equal(invalid.code, 1)
  t.match(invalid.stderr, /^error: Invalid email address: use an address such as name@example\.com/)
  t.equal(await readUser(dataDir, 'carol'), undefined, 'nothing was created')

  const added = await Promise.all([
    cli(['user', 'add', 'bob', '--scopes', 'reports:read,users:admin', '--disabled'], `${PASSWORD}\n`),
    cli(['user', 'add', 'alice', '--email', 'alice@example.com', '--email-verified', '--full-name', 'Alice A'], `${PASSWORD}\n`)
  ])
  for (const res of added) t.equal(res.code, 0, res.stderr)

  const table = await cli(['user', 'list'])
  t.equal(table.code, 0, table.stderr)
  const lines = table.stdout.trimEnd().split('\n')
  t.match(lines[0], /^username\s+email\s+scopes\s+disabled\s+created$/)
  t.match(lines[1], /^alice\s+alice@example\.com\s+-\s+no\s+\d{4}-\d\d-\d\dT/)
  t.match(lines[2], /^bob\s+-\s+reports:read users:admin\s+yes\s+\d{4}-/)
  t.equal(lines.length, 3)

  const listed = JSON.parse((await cli(['user', 'list', '--json'])).stdout) as Array<Record<string, unknown>>
  t.same(listed.map(u => u.username), ['alice', 'bob'])
  t.match(listed[0], { username: 'alice', email: 'alice@example.com', full_name: 'Alice A', email_verified: true, disabled: false, scopes: [], created_at: String, updated_at: String })
  t.match(listed[1], { username: 'bob', email: null, email_verified: false })
  t.notOk(JSON.stringify(listed).includes('$2b$'), 'no password hash')

  const shown = await cli(['user', 'show', 'BOB'])
  t.equal(shown.code, 0, shown.stderr)
  t.match(shown.stdout, /^username: +bob$/m)
  t.match(shown.stdout, /^scopes: +reports:read users:admin$/m)
  t.match(shown.stdout, /^disabled: +yes$/m)
  t.match(shown.stdout, /^email verified: +no$/m)
  const unaddressed = await cli(['user', 'add', 'dave', '--email-verified'], `${PASSWORD}\n`)
  t.equal(unaddressed.code, 1)
  t.match(unaddressed.stderr, /^error: email_verified needs an email address/)
  t.match(JSON.parse((await cli(['user', 'show', 'alice', '--json'])).stdout), listed[0])
  const nobody = await cli(['user', 'show', 'nobody'])
  t.equal(nobody.code, 1)
  t.match(nobody.stderr, /No such user/)
})

t.test('at a terminal the password is asked twice, and two different answers change nothing', async t => {
  const cwd = tempDir(t)
  const dataDir = tempDir(t)
  const env = baseEnv({ DATA_DIR: dataDir, JWT_SECRET: TEST_SECRET, BCRYPT_COST: '10' })
  // script(1) gives the CLI a pseudo-terminal; the lines are typed ahead, so the
  // terminal itself echoes them before the CLI turns the echo off (a person types after the prompt).
  const atTerminal = async (username: string, typed: string) => {
    const child = spawnChild(t, 'script', ['-qec', `exec ${process.execPath} ${CLI} user add ${username}`, '/dev/null'], { env, cwd, stdin: typed })
    await child.exited
    return child.output()
  }
  const same = await atTerminal('tina', `${PASSWORD}\n${PASSWORD}\n`)
  t.match(same, /Password for tina: \r?\nAgain: \r?\ncreated tina/, 'both prompts, then the user')
  t.match(await readUser(dataDir, 'tina'), { username: 'tina' })
  const differ = await atTerminal('tom', `${PASSWORD}\n${PASSWORD}-typo\n`)
  t.match(differ, /Again: \r?\nerror: the two passwords differ; nothing was changed/)
  t.equal(await readUser(dataDir, 'tom'), undefined, 'nothing was created')
})
