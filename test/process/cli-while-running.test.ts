import t from 'tap'
import { PASSWORD, tempDir, TEST_SECRET } from '../helper.js'
import { baseEnv, freePort, requireBuild, runCli, startService } from '../child-process.js'
import { redisForTest } from '../scale/redis-prefix.js'

requireBuild()

// Each CLI call is a new Node process that hashes at BCRYPT_COST 10: on a busy
// 2-core machine the file needs more than the default per-file budget.
t.setTimeout(300_000)

// The running service caches its Bearer lookup on the embedded store; an
// operator's CLI, another process on the same SQLite file, must still cut a
// user off on the very next request.

t.test('the CLI disables a user, changes scopes or resets a password: the running service refuses at once', async t => {
  const cwd = tempDir(t)
  const dataDir = tempDir(t)
  const port = await freePort()
  const env = baseEnv({ HOST: '127.0.0.1', PORT: String(port), DATA_DIR: dataDir, JWT_SECRET: TEST_SECRET, BCRYPT_COST: '10', LOG_LEVEL: 'warn' })
  const cli = async (args: string[], stdin?: string) => {
    const result = await runCli(args, { env, cwd, stdin })
    t.equal(result.code, 0, `cli ${args.join(' ')}: ${result.stderr}`)
  }
  await cli(['user', 'add', 'alice', '--scopes', 'reports:read'], `${PASSWORD}\n`)
  const server = await startService(t, env, { cwd, until: 'ready' })

  const login = async () => {
    const res = await fetch(`${server.baseUrl}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'alice', password: PASSWORD }).toString()
    })
    t.equal(res.status, 200)
    return ((await res.json()) as { access_token: string }).access_token
  }
  const me = async (token: string) => {
    const res = await fetch(`${server.baseUrl}/users/me`, { headers: { authorization: `Bearer ${token}` } })
    return { status: res.status, body: await res.json() as { scopes?: string[], error?: string } }
  }

  const token = await login()
  for (let i = 0; i < 3; i++) t.equal((await me(token)).status, 200, 'served (and cached)')

  await cli(['user', 'scopes', 'alice', ''])
  t.same((await me(token)).body.scopes, [], 'scopes taken away by the CLI are gone on the next request')

  await cli(['user', 'disable', 'alice'])
  const refused = await me(token)
  t.equal(refused.status, 401, 'disabled by the CLI: refused on the next request')
  t.equal(refused.body.error, 'invalid_token')

  await cli(['user', 'enable', 'alice'])
  t.equal((await me(token)).status, 401, 'enabling again does not bring back the sessions that disabling revoked')
  const fresh = await login()
  t.equal((await me(fresh)).status, 200, 'a new login works')

  await cli(['user', 'password', 'alice'], 'Another-Sturdy-Lamp-77\n')
  t.equal((await me(fresh)).status, 401, 'a password reset by the CLI revokes the session at once')
})

// The CLI cannot reach the service's in-process counters; `user unlock` and
// `user password` bump a lockout generation in the database, which every
// instance reads at the next attempt, with in-process counters and with Redis.
for (const kind of ['memory', 'redis'] as const) {
  t.test(`the CLI lifts a login lockout of the running service (\`user unlock\`, \`user password\`) [${kind}]`, async t => {
    const redis = kind === 'redis' ? await redisForTest(t) : {}
    if (redis === undefined) return
    const cwd = tempDir(t)
    const port = await freePort()
    const env = baseEnv({
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: tempDir(t),
      JWT_SECRET: TEST_SECRET,
      BCRYPT_COST: '10',
      LOG_LEVEL: 'warn',
      LOGIN_MAX_FAILURES_PER_USER: '3',
      ...redis
    })
    const cli = async (args: string[], stdin?: string) => await runCli(args, { env, cwd, stdin })
    t.equal((await cli(['user', 'add', 'alice'], `${PASSWORD}\n`)).code, 0)
    const server = await startService(t, env, { cwd, until: 'ready' })
    const login = async (password: string) => (await fetch(`${server.baseUrl}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'alice', password }).toString()
    })).status
    const lockOut = async () => {
      for (let i = 0; i < 3; i++) t.equal(await login('wrong-password'), 401)
      t.equal(await login(PASSWORD), 429, 'locked out')
    }

    await lockOut()
    const unlocked = await cli(['user', 'unlock', 'Alice'])
    t.same({ code: unlocked.code, stdout: unlocked.stdout.trim() }, { code: 0, stdout: 'unlocked alice' })
    t.equal(await login(PASSWORD), 200, 'unlocked by the CLI: the right password logs in at once')

    await lockOut()
    t.equal((await cli(['user', 'password', 'alice'], 'Another-Sturdy-Lamp-77\n')).code, 0)
    t.equal(await login('Another-Sturdy-Lamp-77'), 200, 'a password reset by the CLI lifts the lockout')

    const unknown = await cli(['user', 'unlock', 'nobody'])
    t.equal(unknown.code, 1)
    t.match(unknown.stderr, /No such user/)
  })
}
