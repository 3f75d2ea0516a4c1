import pg from 'pg'
import t from 'tap'
import { LISTENER_APPLICATION_NAME } from '../../src/store/session-notifications.js'
import { PASSWORD, TEST_SECRET, tempDir } from '../helper.js'
import { baseEnv, freePort, requireBuild, runCli, spawnChild, waitFor, ROOT, SERVER } from '../child-process.js'
import { postgresSchemaWithRole } from '../src/store/postgres-schema.js'

requireBuild()
t.setTimeout(300_000)

// Two service processes on one PostgreSQL schema with POSTGRES_SESSION_CACHE=true:
// whatever changes a session or a user (the other instance, the CLI, manual SQL)
// reaches both caches; while an instance's listening connection is lost its
// cache is off. Propagation is asynchronous, so every check at the other
// instance polls with a generous deadline; nothing asserts how fast.

interface Instance { name: string, url: string, output: () => string }

const form = (fields: Record<string, string>) => ({
  method: 'POST', body: new URLSearchParams(fields), signal: AbortSignal.timeout(10_000)
})

async function login (instance: Instance, username: string): Promise<string> {
  const res = await fetch(instance.url + '/token', form({ grant_type: 'password', username, password: PASSWORD }))
  if (res.status !== 200) throw new Error(`login ${username} at ${instance.name}: ${res.status}`)
  return ((await res.json()) as { access_token: string }).access_token
}

async function me (instance: Instance, token: string): Promise<{ status: number, scopes?: string[] }> {
  const res = await fetch(instance.url + '/users/me', { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) })
  const body = await res.json() as { scopes?: string[] }
  return { status: res.status, scopes: body.scopes }
}

const seen = async (what: string, probe: () => Promise<boolean>) => { await waitFor(what, probe, 200, 50) }
const occurrences = (text: string, line: string) => text.split(line).length - 1
const ON = 'session cache on'
const OFF = 'session cache off'

t.test('two instances with the PostgreSQL session cache: every change reaches the other', async t => {
  const pgs = await postgresSchemaWithRole(t)
  if (pgs === undefined) return
  const cwd = tempDir(t)
  const shared = baseEnv({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PUBLIC_URL: 'http://gatehouse.test',
    JWT_SECRET: TEST_SECRET,
    DATABASE_URL: pgs.url,
    POSTGRES_SESSION_CACHE: 'true',
    BCRYPT_COST: '10',
    RATE_LIMIT_MAX: '0',
    LOG_LEVEL: 'info'
  })
  const cliEnv = { ...shared, LOG_LEVEL: 'warn' }
  const cli = async (args: string[], stdin?: string) => {
    const result = await runCli(args, { env: cliEnv, cwd, stdin })
    t.equal(result.code, 0, `cli ${args.join(' ')}: ${result.stderr}`)
  }
  await cli(['user', 'add', 'alice', '--scopes', 'reports:read'], `${PASSWORD}\n`)
  await cli(['user', 'add', 'root', '--scopes', 'users:admin'], `${PASSWORD}\n`)

  const instances: Instance[] = await Promise.all(['A', 'B'].map(async name => {
    const port = await freePort()
    const { output } = spawnChild(t, process.execPath, [SERVER], { cwd: ROOT, env: { ...shared, PORT: String(port), DATA_DIR: tempDir(t) } })
    return { name, url: `http://127.0.0.1:${port}`, output }
  }))
  for (const instance of instances) {
    await waitFor(`instance ${instance.name} to listen for session changes`, async () => instance.output().includes(ON), 150, 200)
      .catch((err: Error) => { throw new Error(`${err.message}:\n${instance.output()}`) })
  }
  const [a, b] = instances as [Instance, Instance]
  const admin = await login(a, 'root')
  const patch = async (body: object) => {
    const res = await fetch(a.url + '/users/alice', {
      method: 'PATCH', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify(body)
    })
    t.equal(res.status, 200)
  }

  // A token served (and so cached) at B, then changed at A.
  let token = await login(a, 'alice')
  t.equal((await me(b, token)).status, 200)
  t.equal((await me(b, token)).status, 200)
  const logout = await fetch(a.url + '/logout', { method: 'POST', headers: { authorization: `Bearer ${token}` } })
  t.equal(logout.status, 204)
  t.equal((await me(a, token)).status, 401, 'at A (the writer): refused at once')
  await seen('the logout at A to be refused at B', async () => (await me(b, token)).status === 401)

  token = await login(a, 'alice')
  t.same((await me(b, token)).scopes, ['reports:read'])
  await patch({ scopes: [] })
  await seen('the scope change at A to be seen at B', async () => (await me(b, token)).scopes?.length === 0)
  await patch({ disabled: true })
  await seen('the user disabled at A to be refused at B', async () => (await me(b, token)).status === 401)

  await patch({ disabled: false, scopes: ['reports:read'] })
  token = await login(b, 'alice')
  t.same((await me(b, token)).scopes, ['reports:read'])
  await cli(['user', 'scopes', 'alice', ''])
  await seen('the scope change by the CLI to be seen at B', async () => (await me(b, token)).scopes?.length === 0)
  await cli(['user', 'disable', 'alice'])
  await seen('the user disabled by the CLI to be refused at B', async () => (await me(b, token)).status === 401)
  await cli(['user', 'enable', 'alice'])

  t.test('the listening connections killed and kept out: strict reads; the cache comes back with them', async t => {
    const sql = new pg.Client({ connectionString: pgs.adminUrl })
    await sql.connect()
    t.teardown(async () => { await sql.end() })
    const sessionOf = async (username: string) => (await sql.query<{ id: string }>(
      'select s.id from sessions s join users u on u.id = s.user_id where u.username = $1 and s.revoked_at is null order by s.created_at desc limit 1', [username])).rows[0]?.id

    token = await login(a, 'alice')
    t.equal((await me(b, token)).status, 200, 'cached at B')
    const offBefore = occurrences(b.output(), OFF)
    const onBefore = occurrences(b.output(), ON)
    await sql.query(`alter role ${pgs.role} nologin`) // the pools keep their connections; no listener can come back
    const killed = await sql.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1 and usename = $2',
      [LISTENER_APPLICATION_NAME, pgs.role])
    t.equal(killed.rowCount, 2, "both instances' listeners")
    await waitFor('B to notice', async () => occurrences(b.output(), OFF) > offBefore, 150, 100)

    await sql.query('update sessions set revoked_at = 1 where id = $1', [await sessionOf('alice')])
    t.equal((await me(b, token)).status, 401, 'a revocation made while B cannot listen is refused at once')

    await sql.query(`alter role ${pgs.role} login`)
    await waitFor('B to listen again', async () => occurrences(b.output(), ON) > onBefore, 150, 100)
    t.equal(occurrences(b.output(), OFF), offBefore + 1, 'the outage was logged once')
    token = await login(a, 'alice')
    t.equal((await me(b, token)).status, 200)
    t.equal((await me(b, token)).status, 200)
    const again = await fetch(a.url + '/logout', { method: 'POST', headers: { authorization: `Bearer ${token}` } })
    t.equal(again.status, 204)
    await seen('a logout at A after the reconnection to be refused at B', async () => (await me(b, token)).status === 401)
  })
})
