import t from 'tap'
import { PASSWORD, tempDir } from '../helper.js'
import { decodeSegment, writeKeyPair } from './key-files.js'
import { baseEnv, freePort, runCli, startService, type Service } from '../child-process.js'

async function loginOver (server: Service, username: string): Promise<string> {
  const res = await fetch(`${server.baseUrl}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password: PASSWORD })
  })
  if (res.status !== 200) throw new Error(`login: ${res.status} ${await res.text()}`)
  return ((await res.json()) as { access_token: string }).access_token
}

async function meOver (server: Service, token: string): Promise<{ status: number, body: Record<string, unknown> }> {
  const res = await fetch(`${server.baseUrl}/users/me`, { headers: { authorization: `Bearer ${token}` } })
  return { status: res.status, body: await res.json() as Record<string, unknown> }
}

async function jwksKids (server: Service): Promise<string[]> {
  const res = await fetch(`${server.baseUrl}/.well-known/jwks.json`)
  return ((await res.json()) as { keys: Array<{ kid: string }> }).keys.map(k => k.kid)
}

t.test('ES256 key rotation across restarts of the compiled service', async t => {
  const dir = tempDir(t)
  const oldKey = writeKeyPair(dir, 'ES256', 'old')
  const newKey = writeKeyPair(dir, 'ES256', 'new')
  // PUBLIC_URL is fixed: it is the token issuer, so it must not follow the port, which changes on every start.
  const env = { DATA_DIR: `${dir}/data`, BCRYPT_COST: '10', JWT_ALGORITHM: 'ES256', PUBLIC_URL: 'http://gatehouse.test' }
  const startServer = async (extra: Record<string, string>) =>
    await startService(t, baseEnv({ HOST: '127.0.0.1', LOG_LEVEL: 'warn', PORT: String(await freePort()), ...env, ...extra }), { cwd: dir, until: 'ready' })

  const added = await runCli(['user', 'add', 'alice'], { env: baseEnv({ ...env, JWT_PRIVATE_KEY_FILE: oldKey.privateFile }), cwd: dir, stdin: PASSWORD + '\n' })
  t.equal(added.code, 0, added.stderr)
  t.match(added.stdout, /created alice/)

  // 1. The old key signs.
  const first = await startServer({ JWT_PRIVATE_KEY_FILE: oldKey.privateFile })
  const oldToken = await loginOver(first, 'alice')
  const oldKid = decodeSegment(oldToken, 0).kid as string
  t.same(await jwksKids(first), [oldKid])
  t.equal((await meOver(first, oldToken)).status, 200)
  t.equal(await first.stop(), 0, 'SIGTERM: clean exit')

  // 2. The new key signs; the old one only verifies.
  const second = await startServer({ JWT_PRIVATE_KEY_FILE: newKey.privateFile, JWT_PREVIOUS_KEY_FILES: oldKey.privateFile })
  const stillValid = await meOver(second, oldToken)
  t.equal(stillValid.status, 200, 'a token signed before the rotation still works')
  t.equal(stillValid.body.username, 'alice')
  const newToken = await loginOver(second, 'alice')
  const newKid = decodeSegment(newToken, 0).kid as string
  t.not(newKid, oldKid, 'a new login carries the new kid')
  t.same(await jwksKids(second), [newKid, oldKid], 'the JWKS lists both, the signing key first')
  t.equal(await second.stop(), 0)

  // 3. The old key is gone: its tokens are refused, the new ones are not.
  const third = await startServer({ JWT_PRIVATE_KEY_FILE: newKey.privateFile })
  const refused = await meOver(third, oldToken)
  t.equal(refused.status, 401)
  t.equal(refused.body.error, 'invalid_token')
  t.match(refused.body.error_description, /unknown key/)
  t.equal((await meOver(third, newToken)).status, 200)
  t.same(await jwksKids(third), [newKid])
  t.equal(await third.stop(), 0)
})
