import t from 'tap'
import { addUser, build, login, me, refresh, tempDir, TEST_SECRET } from '../helper.js'
import { decodeSegment, writeKeyPair } from './key-files.js'

const OLD_SECRET = 'old-secret-Zq8vN3kP1xW7mR4tY6uB9cE2gH5jL0aS'

t.test('HS256: JWT_PREVIOUS_SECRETS keeps tokens of a retired secret valid, then lets them go', async t => {
  const dataDir = tempDir(t)
  const before = await build(t, { DATA_DIR: dataDir, JWT_SECRET: OLD_SECRET })
  await addUser(before, 'alice')
  const old = await login(before, 'alice')
  await before.close()

  const during = await build(t, { DATA_DIR: dataDir, JWT_SECRET: TEST_SECRET, JWT_PREVIOUS_SECRETS: OLD_SECRET })
  t.equal((await me(during, old.access_token)).statusCode, 200, 'a token of the retired secret still verifies')
  const fresh = await login(during, 'alice')
  t.not(decodeSegment(fresh.access_token, 0).kid, decodeSegment(old.access_token, 0).kid, 'new tokens carry the new kid')
  t.equal(decodeSegment(fresh.access_token, 0).kid, during.keys.current.kid)
  // Refresh tokens are opaque and unsigned: a session started before the rotation goes on.
  const refreshed = await refresh(during, old.refresh_token)
  t.equal(refreshed.statusCode, 200)
  t.equal(decodeSegment(refreshed.json().access_token, 0).kid, during.keys.current.kid)
  t.same((await during.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json(), { keys: [] }, 'secrets are never published')
  await during.close()

  const after = await build(t, { DATA_DIR: dataDir, JWT_SECRET: TEST_SECRET })
  const res = await me(after, old.access_token)
  t.equal(res.statusCode, 401)
  t.equal(res.json().error, 'invalid_token')
  t.match(res.json().error_description, /unknown key/)
  t.equal((await me(after, fresh.access_token)).statusCode, 200)
})

t.test('EdDSA: the publish step (new key verify-only) changes nothing for clients, then the switch', async t => {
  const dir = tempDir(t)
  const dataDir = tempDir(t)
  const oldKey = writeKeyPair(dir, 'EdDSA')
  const newKey = writeKeyPair(dir, 'EdDSA')
  const env = { DATA_DIR: dataDir, JWT_ALGORITHM: 'EdDSA' }

  const before = await build(t, { ...env, JWT_PRIVATE_KEY_FILE: oldKey.privateFile })
  await addUser(before, 'alice')
  const oldKid = before.keys.current.kid
  await before.close()

  // Step 1: the new key is published, the old one still signs.
  const publish = await build(t, { ...env, JWT_PRIVATE_KEY_FILE: oldKey.privateFile, JWT_PREVIOUS_KEY_FILES: newKey.privateFile })
  const duringPublish = await login(publish, 'alice')
  t.equal(decodeSegment(duringPublish.access_token, 0).kid, oldKid, 'still signed with the old key')
  const kids = (await publish.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json().keys.map((k: { kid: string }) => k.kid)
  t.equal(kids.length, 2)
  t.equal(kids[0], oldKid)
  const newKid = kids[1]
  await publish.close()

  // Step 3: the switch.
  const switched = await build(t, { ...env, JWT_PRIVATE_KEY_FILE: newKey.privateFile, JWT_PREVIOUS_KEY_FILES: oldKey.publicFile })
  t.equal(switched.keys.current.kid, newKid, 'the kid announced in step 1 is the one that now signs')
  t.equal((await me(switched, duringPublish.access_token)).statusCode, 200)
  t.equal(decodeSegment((await login(switched, 'alice')).access_token, 0).kid, newKid)
})
