import t from 'tap'
import { PASSWORD, tempDir, TEST_SECRET } from '../helper.js'
import { baseEnv, freePort, requireBuild, runCli, SERVER, spawnChild, startService, waitFor } from '../child-process.js'

requireBuild()

const formBody = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString()
})

t.test('the compiled service: login over HTTP, SIGTERM exits 0, sessions survive a restart', async t => {
  const cwd = tempDir(t)
  const dataDir = tempDir(t)
  const port = await freePort()
  const env = baseEnv({ HOST: '127.0.0.1', PORT: String(port), DATA_DIR: dataDir, JWT_SECRET: TEST_SECRET, BCRYPT_COST: '10', LOG_LEVEL: 'info' })
  const added = await runCli(['user', 'add', 'alice', '--scopes', 'users:admin'], { env, cwd, stdin: `${PASSWORD}\n` })
  t.equal(added.code, 0, added.stderr)

  const first = await startService(t, env, { cwd, until: 'ready' })
  const login = await fetch(`${first.baseUrl}/token`, formBody({ username: 'alice', password: PASSWORD }))
  t.equal(login.status, 200)
  t.equal(login.headers.get('cache-control'), 'no-store')
  const tokens = await login.json() as { access_token: string, refresh_token: string }
  const me = await fetch(`${first.baseUrl}/users/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })
  t.equal(me.status, 200)
  t.match(await me.json(), { username: 'alice', scopes: ['users:admin'] })

  t.equal(await first.stop('SIGTERM'), 0, 'SIGTERM: exit code 0')
  t.match(first.output(), /"msg":"shutting down"/)
  t.notOk(first.output().includes(PASSWORD), 'no password in the output')
  t.notOk(first.output().includes(tokens.access_token) || first.output().includes(tokens.refresh_token), 'no token in the output')

  const second = await startService(t, env, { cwd, until: 'ready' })
  const again = await fetch(`${second.baseUrl}/users/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })
  t.equal(again.status, 200, 'the earlier access token still works')
  const rotated = await fetch(`${second.baseUrl}/token`, formBody({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }))
  t.equal(rotated.status, 200, 'the earlier refresh token still rotates')
  const next = await rotated.json() as { access_token: string }
  t.equal((await fetch(`${second.baseUrl}/users/me`, { headers: { authorization: `Bearer ${next.access_token}` } })).status, 200)
  const reused = await fetch(`${second.baseUrl}/token`, formBody({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }))
  t.equal(reused.status, 400, 'and it was consumed')
  t.equal(await second.stop('SIGINT'), 0, 'SIGINT: exit code 0')
})

t.test('development mode with nothing set: generated secret warning and first-user hint', async t => {
  const cwd = tempDir(t)
  const port = await freePort()
  const server = await startService(t, baseEnv({ PORT: String(port) }), { cwd, until: 'ready' })
  // The hint follows the start line, once the store has said it holds no user.
  await waitFor('the first-admin hint', async () => server.stderr().includes('No user yet'))
  const output = server.output()
  t.match(output, /JWT_SECRET is not set: using a development secret kept in the data folder/)
  t.match(server.stderr(), 'No user yet. Add a first administrator (the password is read from standard input):\n  printf \'%s\\n\' "$PASSWORD" | npx gatehouse user add alice --scopes users:admin\n', 'the first-admin hint, as plain text')
  t.match(output, /"level":40/, 'the secret notice is a warning')
  t.equal(await server.stop(), 0)
})

t.test('production refuses to start with a bad configuration', async t => {
  const cwd = tempDir(t)
  const port = await freePort()
  const run = async (extra: Record<string, string>) => {
    const server = spawnChild(t, process.execPath, [SERVER], { cwd, env: baseEnv({ NODE_ENV: 'production', PORT: String(port), DATA_DIR: tempDir(t), ...extra }) })
    return { code: await server.exited, stderr: server.stderr() }
  }
  const [missing, tutorial, cors] = await Promise.all([
    run({}),
    run({ JWT_SECRET: '09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7' }),
    run({ JWT_SECRET: TEST_SECRET, CORS_ORIGINS: '*', CORS_CREDENTIALS: 'true' })
  ])
  t.equal(missing.code, 78, 'EX_CONFIG')
  t.match(missing.stderr, /JWT_SECRET: required when NODE_ENV=production/)
  t.equal(tutorial.code, 78)
  t.match(tutorial.stderr, /JWT_SECRET: this is a published example secret/)
  t.equal(cors.code, 78)
  t.match(cors.stderr, /CORS_CREDENTIALS/)
})
