import t from 'tap'
import { TEST_SECRET, tempDir } from '../helper.js'
import { baseEnv, requireBuild, runCli } from '../child-process.js'
import { clientSecretMatches, CLIENT_SECRET_PATTERN } from '../../src/clients/client-secret.js'
import { openStore } from '../../src/store/store.js'

// Each CLI call is a new Node process: on a busy 2-core machine the file needs more than the default budget.
t.setTimeout(300_000)

requireBuild()

async function readClient (dataDir: string, clientId: string) {
  const store = await openStore({ databaseUrl: undefined, dataDir, poolSize: 1 })
  try {
    return await store.clients.findById(clientId)
  } finally {
    await store.close()
  }
}

const secretOf = (stdout: string): string => /^client_secret: +(\S+)$/m.exec(stdout)?.[1] ?? ''

t.test('client add / list / disable / enable / rotate-secret / delete', async t => {
  const cwd = tempDir(t)
  const dataDir = tempDir(t)
  const env = baseEnv({ DATA_DIR: dataDir, JWT_SECRET: TEST_SECRET })
  const cli = async (args: string[]) => await runCli(args, { env, cwd })

  const added = await cli(['client', 'add', 'reports', '--name', 'Reports service', '--scopes', 'reports:read,introspect', '--ttl', '600'])
  t.equal(added.code, 0, added.stderr)
  t.match(added.stdout, /^created confidential client reports: grant types client_credentials; scopes introspect reports:read$/m)
  t.match(added.stdout, /^This secret will not be shown again/m, 'says so')
  const secret = secretOf(added.stdout)
  t.match(secret, CLIENT_SECRET_PATTERN)
  t.equal(added.stderr, '')
  const stored = await readClient(dataDir, 'reports')
  t.match(stored, { name: 'Reports service', scopes: ['introspect', 'reports:read'], grantTypes: ['client_credentials'], accessTokenTtlSeconds: 600, disabled: false })
  t.ok(clientSecretMatches(secret, stored?.secretHash ?? null), 'the secret printed is the one stored (as its hash)')

  const spa = await cli(['client', 'add', 'spa', '--public'])
  t.equal(spa.code, 0, spa.stderr)
  t.match(spa.stdout, /^created public client spa: grant types password refresh_token; scopes \(none\)$/m)
  t.notMatch(spa.stdout, /client_secret/, 'a public client has no secret')

  const refused = await Promise.all([
    cli(['client', 'add', 'reports']),
    cli(['client', 'add', 'pub', '--public', '--grant-types', 'client_credentials']),
    cli(['client', 'add', 'x y']),
    cli(['client', 'add', 'short-ttl', '--ttl', '30']),
    cli(['client', 'rotate-secret', 'spa'])
  ])
  const messages = [/client_id is already taken/, /needs a confidential client/, /Invalid client_id/, /60 to 86400/, /public client has no secret/]
  refused.forEach((res, i) => {
    t.equal(res.code, 1, `refusal ${i + 1}`)
    t.match(res.stderr, messages[i] ?? /./)
    t.equal(res.stdout, '')
  })

  const table = await cli(['client', 'list'])
  t.equal(table.code, 0, table.stderr)
  const lines = table.stdout.trimEnd().split('\n')
  t.match(lines[0], /^client_id\s+name\s+type\s+grant_types\s+scopes\s+ttl\s+disabled$/)
  t.match(lines[1], /^reports\s+Reports service\s+confidential\s+client_credentials\s+introspect reports:read\s+600s\s+no$/)
  t.match(lines[2], /^spa\s+spa\s+public\s+password refresh_token\s+-\s+default\s+no$/)
  t.equal(lines.length, 3)
  t.notOk(table.stdout.includes(secret) || table.stdout.includes(stored?.secretHash ?? '-'), 'neither the secret nor its hash is listed')
  const listed = JSON.parse((await cli(['client', 'list', '--json'])).stdout) as Array<Record<string, unknown>>
  t.same(listed.map(c => c.client_id), ['reports', 'spa'])
  t.notOk(JSON.stringify(listed).includes(stored?.secretHash ?? '-'))

  t.equal((await cli(['client', 'disable', 'reports'])).code, 0)
  t.equal((await readClient(dataDir, 'reports'))?.disabled, true)
  t.equal((await cli(['client', 'enable', 'reports'])).code, 0)
  t.equal((await readClient(dataDir, 'reports'))?.disabled, false)

  const rotated = await cli(['client', 'rotate-secret', 'reports'])
  t.equal(rotated.code, 0, rotated.stderr)
  t.match(rotated.stdout, /^This secret will not be shown again/m)
  const next = secretOf(rotated.stdout)
  t.match(next, CLIENT_SECRET_PATTERN)
  const after = await readClient(dataDir, 'reports')
  t.ok(clientSecretMatches(next, after?.secretHash ?? null), 'the new secret is stored')
  t.notOk(clientSecretMatches(secret, after?.secretHash ?? null), 'the old one is not')

  const json = await cli(['client', 'add', 'svc', '--json', '--grant-types', 'client_credentials,password'])
  t.equal(json.code, 0, json.stderr)
  const body = JSON.parse(json.stdout) as Record<string, unknown>
  t.match(body, { client_id: 'svc', grant_types: ['client_credentials', 'password'], public: false, client_secret: CLIENT_SECRET_PATTERN })

  t.equal((await cli(['client', 'delete', 'reports'])).code, 0)
  t.equal(await readClient(dataDir, 'reports'), undefined)
  const missing = await cli(['client', 'delete', 'reports'])
  t.equal(missing.code, 1)
  t.match(missing.stderr, /No such client/)
  const none = await cli(['client', 'disable', 'nobody'])
  t.equal(none.code, 1)
  t.match(none.stderr, /No such client/)
})

t.test('client list on an empty store', async t => {
  const res = await runCli(['client', 'list'], { env: baseEnv({ DATA_DIR: tempDir(t), JWT_SECRET: TEST_SECRET }), cwd: tempDir(t) })
  t.equal(res.code, 0, res.stderr)
  t.equal(res.stdout, 'no clients yet\n')
})
