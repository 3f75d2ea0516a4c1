import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import t from 'tap'
import { PASSWORD, tempDir } from '../helper.js'
import { freePort, requireBuild, serviceEnv, spawnService, startService, waitForService, type Service } from '../child-process.js'
import { postgresSchema } from '../src/store/postgres-schema.js'

requireBuild()

async function logIn (service: Service, username: string, password: string): Promise<{ status: number, scope?: string }> {
  const res = await fetch(`${service.baseUrl}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username, password }).toString()
  })
  const body = await res.json() as { scope?: string }
  return { status: res.status, scope: body.scope }
}

function passwordFile (dir: string, password: string): string {
  const file = join(dir, 'admin-password')
  writeFileSync(file, `${password}\n`, { mode: 0o600 })
  return file
}

t.test('SQLite: the admin from a password file can log in; a restart leaves it alone', async t => {
  const dataDir = tempDir(t)
  const env = serviceEnv(dataDir, await freePort(), {
    LOG_LEVEL: 'info', GATEHOUSE_ADMIN_USERNAME: 'Root', GATEHOUSE_ADMIN_PASSWORD_FILE: passwordFile(tempDir(t), PASSWORD)
  })
  const first = await startService(t, env, { until: 'ready' })
  t.same(await logIn(first, 'root', PASSWORD), { status: 200, scope: 'clients:admin users:admin' })
  t.match(first.output(), /"audit":true,"actor":null,"via":"bootstrap".*"event":"user.created","username":"root"/)
  t.notMatch(first.output(), PASSWORD, 'the password is never logged')
  t.equal(await first.stop(), 0)

  const second = await startService(t, env, { until: 'ready' })
  t.match(second.output(), /admin bootstrap skipped: the admin exists/)
  t.notMatch(second.output(), /user\.created/)
  t.equal(await second.stop(), 0)
})

t.test('the password in the environment works, with a warning that names the better way', async t => {
  const service = await startService(t, serviceEnv(tempDir(t), await freePort(), {
    GATEHOUSE_ADMIN_USERNAME: 'admin', GATEHOUSE_ADMIN_PASSWORD: PASSWORD
  }), { until: 'ready' })
  t.equal((await logIn(service, 'admin', PASSWORD)).status, 200)
  t.match(service.output(), /"level":40.*GATEHOUSE_ADMIN_PASSWORD is set in the environment.*prefer GATEHOUSE_ADMIN_PASSWORD_FILE/)
  t.notMatch(service.output(), PASSWORD)
})

t.test('a weak admin password stops the start (exit 78) naming the variable', async t => {
  const service = spawnService(t, serviceEnv(tempDir(t), await freePort(), {
    GATEHOUSE_ADMIN_USERNAME: 'admin', GATEHOUSE_ADMIN_PASSWORD_FILE: passwordFile(tempDir(t), 'password1')
  }))
  t.equal(await service.exited, 78)
  t.match(service.stderr(), /GATEHOUSE_ADMIN_PASSWORD_FILE: the admin password is refused/)
  t.notMatch(service.output(), 'password1')
})

t.test('PostgreSQL: two instances starting at once create exactly one admin, and both serve it', async t => {
  const schema = await postgresSchema(t)
  if (schema === undefined) return
  const file = passwordFile(tempDir(t), PASSWORD)
  const services = await Promise.all([0, 1].map(async () => spawnService(t, serviceEnv(tempDir(t), await freePort(), {
    LOG_LEVEL: 'info', DATABASE_URL: schema.url, GATEHOUSE_ADMIN_USERNAME: 'admin', GATEHOUSE_ADMIN_PASSWORD_FILE: file
  }))))
  await Promise.all(services.map(async service => { await waitForService(service, 'ready') }))

  const client = new pg.Client({ connectionString: schema.url })
  await client.connect()
  const { rows } = await client.query<{ username: string, scopes: string }>('select username, scopes from users')
  await client.end()
  t.same(rows, [{ username: 'admin', scopes: 'clients:admin users:admin' }], 'exactly one user, the admin')
  const created = services.filter(s => s.output().includes('"event":"user.created"'))
  t.equal(created.length, 1, 'one instance created it')
  t.equal(services.filter(s => /admin bootstrap skipped/.test(s.output())).length, 1, 'the other did nothing, without an error')
  for (const service of services) {
    t.same(await logIn(service, 'admin', PASSWORD), { status: 200, scope: 'clients:admin users:admin' }, `instance on ${service.port} logs the admin in`)
    t.equal(service.child.exitCode, null)
  }
})

t.test('PostgreSQL with users already: bootstrap is skipped', async t => {
  const schema = await postgresSchema(t)
  if (schema === undefined) return
  const env = serviceEnv(tempDir(t), await freePort(), { LOG_LEVEL: 'info', DATABASE_URL: schema.url, GATEHOUSE_ADMIN_USERNAME: 'first', GATEHOUSE_ADMIN_PASSWORD: PASSWORD })
  const first = await startService(t, env, { until: 'ready' })
  await first.stop()
  const second = await startService(t, { ...env, GATEHOUSE_ADMIN_USERNAME: 'second' }, { until: 'ready' })
  t.match(second.output(), /admin bootstrap skipped: users exist already/)
  t.equal((await logIn(second, 'second', PASSWORD)).status, 401)
})
