import t from 'tap'
import { PASSWORD, tempDir, TEST_SECRET } from '../helper.js'
import { baseEnv, freePort, requireBuild, runCli, SERVER, spawnChild, startService, waitFor, type Service } from '../child-process.js'

// What a developer sees when starting the service: the start line, the
// first-admin hint (only while there is no user), health probes kept out of
// the info log, and human-readable lines at a terminal.

t.setTimeout(240_000)
requireBuild()

const HINT = 'No user yet. Add a first administrator'

async function probeAndMiss (service: Service): Promise<void> {
  for (const path of ['/health/live', '/health/ready', '/no-such-route']) await fetch(`${service.baseUrl}${path}`)
}

/** Waits for the request lines of /no-such-route, the last request: the lines before it are written by then. */
async function requestLogged (service: Service): Promise<void> {
  await waitFor('the 404 to be logged', async () => service.output().includes('"statusCode":404'), 100)
}

t.test('development: the start line names the docs; the first-admin hint only while the store has no user', async t => {
  const cwd = tempDir(t)
  const dataDir = tempDir(t)
  const env = baseEnv({ HOST: '127.0.0.1', PORT: String(await freePort()), DATA_DIR: dataDir, JWT_SECRET: TEST_SECRET, BCRYPT_COST: '10' })

  const empty = await startService(t, env, { cwd, until: 'ready' })
  await waitFor('the hint', async () => empty.stderr().includes(HINT))
  const line = `gatehouse listening on http://127.0.0.1:${env.PORT} — API docs at http://127.0.0.1:${env.PORT}/docs`
  t.match(empty.stdout(), `"msg":"${line}"`, 'the start line')
  t.match(empty.stderr(), `${HINT} (the password is read from standard input):\n  printf '%s\\n' "$PASSWORD" | npx gatehouse user add alice --scopes users:admin\n`, 'the hint is plain text on stderr')
  t.notOk(empty.stdout().includes(HINT), 'and not a (JSON-escaped) log line')
  t.equal(await empty.stop(), 0)

  const added = await runCli(['user', 'add', 'alice', '--scopes', 'users:admin'], { env, cwd, stdin: `${PASSWORD}\n` })
  t.equal(added.code, 0, added.stderr)
  const withUser = await startService(t, env, { cwd, until: 'ready' })
  await probeAndMiss(withUser)
  await requestLogged(withUser)
  t.notOk(withUser.output().includes(HINT), 'no hint once a user exists')
  t.equal(await withUser.stop(), 0)

  const production = await startService(t, { ...env, NODE_ENV: 'production', DATA_DIR: tempDir(t), DOCS_ENABLED: 'false' }, { cwd, until: 'ready' })
  await probeAndMiss(production)
  await requestLogged(production)
  t.notOk(production.output().includes(HINT), 'no hint in production')
  t.match(production.stdout(), `"msg":"gatehouse listening on http://127.0.0.1:${env.PORT}"`, 'no docs to name with DOCS_ENABLED=false')
  t.equal(await production.stop(), 0)
})

t.test('health probes log their requests at debug, other requests at info', async t => {
  const cwd = tempDir(t)
  const base = { HOST: '127.0.0.1', DATA_DIR: tempDir(t), JWT_SECRET: TEST_SECRET, NODE_ENV: 'production' }
  const info = await startService(t, baseEnv({ ...base, PORT: String(await freePort()), LOG_LEVEL: 'info' }), { cwd, until: 'ready' })
  await probeAndMiss(info)
  await requestLogged(info)
  t.notMatch(info.stdout(), /"url":"\/health\//, 'at info, no line for the probes')
  t.match(info.stdout(), /"level":30,[^\n]*"url":"\/no-such-route"/, 'other requests are logged at info')
  t.equal(await info.stop(), 0)

  const debug = await startService(t, baseEnv({ ...base, PORT: String(await freePort()), LOG_LEVEL: 'debug' }), { cwd, until: 'ready' })
  await probeAndMiss(debug)
  await requestLogged(debug)
  const lines = debug.stdout().split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as { level: number, msg: string, req?: { url: string } })
  const incoming = lines.filter(l => l.msg === 'incoming request')
  const probes = incoming.filter(l => l.req?.url.startsWith('/health/') === true)
  t.ok(probes.length >= 2, 'at debug, the probes are logged')
  t.same([...new Set(probes.map(l => l.level))], [20], 'at level debug')
  t.equal(lines.filter(l => l.msg === 'request completed' && l.level === 20).length, probes.length, 'both of their lines')
  t.same(incoming.filter(l => l.req?.url === '/no-such-route').map(l => l.level), [30], 'the 404 is still at info')
  t.equal(await debug.stop(), 0)
})

t.test('at a terminal in development the lines are human-readable; in production they stay JSON', async t => {
  const cwd = tempDir(t)
  const atTerminal = async (extra: Record<string, string>) => {
    const port = String(await freePort())
    const env = baseEnv({ HOST: '127.0.0.1', PORT: port, DATA_DIR: tempDir(t), JWT_SECRET: TEST_SECRET, ...extra })
    // script(1) runs the service on a pseudo-terminal, as a developer's shell would.
    const child = spawnChild(t, 'script', ['-qec', `exec ${process.execPath} ${SERVER}`, '/dev/null'], { env, cwd })
    await waitFor('the service', async () => (await fetch(`http://127.0.0.1:${port}/health/live`)).status === 200, 300)
    await waitFor('the start line', async () => child.output().includes('gatehouse listening on'), 100)
    const output = child.output()
    await child.stop()
    return output
  }
  const development = await atTerminal({})
  t.match(development, /INFO.*gatehouse listening on http:\/\/127\.0\.0\.1:\d+ — API docs at/, 'pretty lines')
  t.notMatch(development, /"level":30/, 'no JSON')
  const production = await atTerminal({ NODE_ENV: 'production' })
  t.match(production, /"level":30,[^\n]*"msg":"gatehouse listening on/, 'JSON in production')
})
