import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { build, form, tempDir, TEST_SECRET } from '../helper.js'
import { baseEnv, requireBuild, runCli } from '../child-process.js'
import { isBcrypt, johndoe, PYTHON_PASSWORDS, PYTHON_USERS, PYTHON_USERS_FILE, TUTORIAL_HASHES } from '../fixtures/python-users.js'
import { postgresSchema } from '../src/store/postgres-schema.js'
import { openStore } from '../../src/store/store.js'

t.setTimeout(300_000)
requireBuild()

t.test('gatehouse user import FILE: the Python-made users import, then log in; a re-run is idempotent', async t => {
  const cwd = tempDir(t)
  const dataDir = tempDir(t)
  const env = baseEnv({ DATA_DIR: dataDir, JWT_SECRET: TEST_SECRET })
  const first = await runCli(['user', 'import', PYTHON_USERS_FILE], { env, cwd })
  t.equal(first.code, 0, first.stderr)
  t.equal(first.stdout, `imported: ${PYTHON_USERS.length} created, 0 updated, 0 skipped\n`)
  t.equal(first.stderr, '', 'no progress bar when standard error is not a terminal')

  const again = await runCli(['user', 'import', '--on-conflict', 'skip', '--json', PYTHON_USERS_FILE], { env, cwd })
  t.equal(again.code, 0, again.stderr)
  t.same(JSON.parse(again.stdout), { created: 0, updated: 0, skipped: PYTHON_USERS.length, revoked_sessions: 0, dry_run: false, errors: [] })

  const app = await build(t, { DATA_DIR: dataDir }, config => { config.passwords.bcryptCost = 5 })
  for (const user of PYTHON_USERS.filter(isBcrypt)) {
    const res = await app.inject({ method: 'POST', url: '/token', ...form({ username: user.username, password: PYTHON_PASSWORDS[user.username] ?? '' }) })
    t.equal(res.statusCode, 200, `${user.username} logs in`)
    t.match((await app.store.users.findByUsername(user.username))?.passwordHash, /^\$2b\$05\$/, `${user.username} re-hashed`)
  }
})

t.test('standard input (-), a JSON array, --dry-run, a bad record (exit 1, nothing written), a bad --on-conflict (exit 2)', async t => {
  const cwd = tempDir(t)
  const dataDir = tempDir(t)
  const env = baseEnv({ DATA_DIR: dataDir, JWT_SECRET: TEST_SECRET })
  const stdin = JSON.stringify([johndoe(TUTORIAL_HASHES.bcrypt), { ...johndoe(TUTORIAL_HASHES.argon2id), username: 'janedoe' }])

  const dry = await runCli(['user', 'import', '--dry-run', '-'], { env, cwd, stdin })
  t.equal(dry.code, 0, dry.stderr)
  t.equal(dry.stdout, 'would import: 2 created, 0 updated, 0 skipped\n')

  const bad = join(cwd, 'bad.jsonl')
  writeFileSync(bad, [johndoe(TUTORIAL_HASHES.bcrypt), { ...johndoe('plaintext'), username: 'eve' }, { ...johndoe(TUTORIAL_HASHES.bcrypt), username: 'no' }]
    .map(r => JSON.stringify(r)).join('\n'))
  const refused = await runCli(['user', 'import', bad], { env, cwd })
  t.equal(refused.code, 1)
  t.match(refused.stdout, /^line 2 \(eve\): unknown hash format.*\nline 3 \(no\): bad username/)
  t.match(refused.stderr, /2 bad record\(s\): nothing was imported/)

  const usage = await runCli(['user', 'import', '--on-conflict', 'merge', bad], { env, cwd })
  t.equal(usage.code, 2)
  t.match(usage.stderr, /merge/)
  const help = await runCli(['user', 'import', '--help'], { env, cwd })
  t.equal(help.code, 0)
  t.match(help.stdout, /--on-conflict.*\n?.*\n?.*fail[\s\S]*--dry-run[\s\S]*hashed_password/)

  const store = await openStore({ databaseUrl: undefined, dataDir, poolSize: 1 })
  try {
    t.same(await store.users.list({ limit: 10 }), [], 'the dry run and the refused import wrote nothing')
  } finally {
    await store.close()
  }

  const real = await runCli(['user', 'import', '-'], { env, cwd, stdin })
  t.equal(real.code, 0, real.stderr)
  t.equal(real.stdout, 'imported: 2 created, 0 updated, 0 skipped\n')
})

t.test('gatehouse user import into PostgreSQL', async t => {
  const pg = await postgresSchema(t)
  if (pg === undefined) return
  const cwd = tempDir(t)
  const env = baseEnv({ DATABASE_URL: pg.url, JWT_SECRET: TEST_SECRET })
  const res = await runCli(['user', 'import', PYTHON_USERS_FILE], { env, cwd })
  t.equal(res.code, 0, res.stderr)
  t.equal(res.stdout, `imported: ${PYTHON_USERS.length} created, 0 updated, 0 skipped\n`)
  const update = await runCli(['user', 'import', '--on-conflict', 'update', '-'], { env, cwd, stdin: JSON.stringify([{ ...PYTHON_USERS[0], full_name: 'Renamed' }]) })
  t.equal(update.stdout, 'imported: 0 created, 1 updated, 0 skipped\n')
  const store = await openStore({ databaseUrl: pg.url, dataDir: cwd, poolSize: 1 })
  t.teardown(store.close)
  t.equal((await store.users.findByUsername(PYTHON_USERS[0]?.username ?? ''))?.fullName, 'Renamed')
})
