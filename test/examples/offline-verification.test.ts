import t, { type Test } from 'tap'
import { addUser, login, tempDir } from '../helper.js'
import { sleep } from '../child-process.js'
import { decodeSegment, writeKeyPair } from '../keys/key-files.js'
import {
  algNone, FASTIFY_EXAMPLE, freePort, hs256WithPublicKey, nowSeconds, PYTHON, PYTHON_EXAMPLE, needPyJwt, reSigned,
  startExample, startGatehouse, tampered, type Algorithm, type Example
} from './resource-servers.js'
import { countingProxy } from './counting-proxy.js'

// Both examples (examples/*-resource-server) as real processes against gatehouse:
// they accept its access tokens offline, refuse every kind of bad token, and
// stop accepting a key once a rotation has retired it from the JWKS.

/** startGatehouse sends this max-age. */
const JWKS_TTL_SECONDS = 1

/** Both examples on `issuer`; without `ttlSeconds`, they take their JWKS cache lifetime from gatehouse's max-age. */
async function examplesFor (t: Test, algorithm: Algorithm, issuer: string, ttlSeconds?: number): Promise<Example[]> {
  const env: Record<string, string> = { GATEHOUSE_ISSUER: issuer, GATEHOUSE_ALGORITHM: algorithm }
  if (ttlSeconds !== undefined) env.JWKS_CACHE_TTL_SECONDS = String(ttlSeconds)
  const examples = [await startExample(t, 'fastify', process.execPath, FASTIFY_EXAMPLE, env)]
  if (needPyJwt(t)) examples.push(await startExample(t, 'python', PYTHON, PYTHON_EXAMPLE, env))
  return examples
}

for (const algorithm of ['ES256', 'RS256'] as const) {
  t.test(`${algorithm}: each example accepts gatehouse's tokens and refuses forged, expired and foreign ones`, async t => {
    const dir = tempDir(t)
    const key = writeKeyPair(dir, algorithm)
    const gatehouse = await startGatehouse(t, { dataDir: dir, port: await freePort(), algorithm, signing: key })
    await addUser(gatehouse.app, 'alice', { scopes: ['users:read'] })
    const token = (await login(gatehouse.app, 'alice')).access_token
    const sub = decodeSegment(token, 1).sub
    const now = nowSeconds()

    const refused: Record<string, string> = {
      'expired (beyond the 30 s skew)': reSigned(token, key, algorithm, {}, { iat: now - 1000, exp: now - 60 }),
      'tampered payload': tampered(token),
      'another audience': reSigned(token, key, algorithm, {}, { aud: 'another-service' }),
      'another issuer': reSigned(token, key, algorithm, {}, { iss: 'http://evil.test' }),
      'typ JWT instead of at+jwt': reSigned(token, key, algorithm, { typ: 'JWT' }),
      'no exp': reSigned(token, key, algorithm, {}, { exp: undefined }),
      'alg none': algNone(token),
      'HS256 keyed with the public key': hs256WithPublicKey(token, key),
      'an unknown kid': reSigned(token, key, algorithm, { kid: 'made-up-kid' })
    }
    // The same re-signing with nothing changed is accepted: each refusal above is due to its one change.
    const control = reSigned(token, key, algorithm, {}, { jti: 'control' })

    for (const example of await examplesFor(t, algorithm, gatehouse.issuer, 300)) {
      const hello = await example.get('/hello', token)
      t.equal(hello.status, 200, `${example.name}: a genuine token`)
      t.same(hello.body, { hello: sub, scope: 'users:read', verified: 'offline' }, `${example.name}: the verified claims`)
      t.equal((await example.get('/hello', control)).status, 200, `${example.name}: the control token`)
      const none = await example.get('/hello')
      t.equal(none.status, 401, `${example.name}: no token`)
      for (const [what, bad] of Object.entries(refused)) {
        const res = await example.get('/hello', bad)
        t.equal(res.status, 401, `${example.name}: ${what} → 401`)
        t.equal(res.body.error, 'invalid_token', `${example.name}: ${what}: invalid_token`)
        t.equal(res.wwwAuthenticate, 'Bearer error="invalid_token"', `${example.name}: ${what}: WWW-Authenticate`)
      }
    }
  })
}

t.test('ES256 rotation: once gatehouse retires a key from its JWKS, both examples refuse its tokens (after gatehouse\'s max-age) and accept the new key\'s', async t => {
  const algorithm = 'ES256'
  const dir = tempDir(t)
  const port = await freePort()
  const oldKey = writeKeyPair(dir, algorithm, 'old')
  const newKey = writeKeyPair(dir, algorithm, 'new')

  // Before: OLD signs.
  let gatehouse = await startGatehouse(t, { dataDir: dir, port, algorithm, signing: oldKey })
  await addUser(gatehouse.app, 'alice')
  const oldToken = (await login(gatehouse.app, 'alice')).access_token
  // No JWKS_CACHE_TTL_SECONDS: the examples keep keys for the max-age gatehouse sends (JWKS_MAX_AGE_SECONDS=1 here).
  const examples = await examplesFor(t, algorithm, gatehouse.issuer)
  for (const example of examples) t.equal((await example.get('/hello', oldToken)).status, 200, `${example.name}: OLD's token, OLD signing`)

  // Switch (docs/keys.md step 3): NEW signs, OLD only verifies.
  await gatehouse.app.close()
  gatehouse = await startGatehouse(t, { dataDir: dir, port, algorithm, signing: newKey, retired: [oldKey] })
  const newToken = (await login(gatehouse.app, 'alice')).access_token
  t.not(decodeSegment(newToken, 0).kid, decodeSegment(oldToken, 0).kid)
  for (const example of examples) {
    t.equal((await example.get('/hello', newToken)).status, 200, `${example.name}: NEW's token while both are published`)
    t.equal((await example.get('/hello', oldToken)).status, 200, `${example.name}: OLD's token while both are published`)
  }

  // Retire (step 5): OLD is gone from the JWKS. After the examples' JWKS cache lifetime, OLD's token is refused.
  await gatehouse.app.close()
  gatehouse = await startGatehouse(t, { dataDir: dir, port, algorithm, signing: newKey })
  await sleep(JWKS_TTL_SECONDS * 1000 + 500)
  for (const example of examples) {
    const res = await example.get('/hello', oldToken)
    t.equal(res.status, 401, `${example.name}: OLD's token after its key was retired`)
    t.match(res.body.error_description, /unknown key/, `${example.name}: refused for its key`)
    t.equal((await example.get('/hello', newToken)).status, 200, `${example.name}: NEW's token still accepted`)
    // And it stays refused: no stale copy of the retired key comes back.
    await sleep(JWKS_TTL_SECONDS * 1000 + 200)
    t.equal((await example.get('/hello', oldToken)).status, 401, `${example.name}: OLD's token still refused a TTL later`)
    t.equal((await example.get('/hello', newToken)).status, 200, `${example.name}: NEW's token still accepted a TTL later`)
  }

  // gatehouse gone for longer than the cache lifetime: no stale key keeps verifying (fail closed).
  await gatehouse.app.close()
  await sleep(JWKS_TTL_SECONDS * 1000 + 500)
  for (const example of examples) {
    const res = await example.get('/hello', newToken)
    t.equal(res.status, 503, `${example.name}: gatehouse unreachable past the TTL`)
    t.equal(res.body.error, 'temporarily_unavailable', `${example.name}: temporarily_unavailable`)
  }
})

t.test('tokens with made-up kids cost gatehouse at most one JWKS fetch per cooldown, in each example', async t => {
  const algorithm = 'ES256'
  const dir = tempDir(t)
  const port = await freePort()
  const key = writeKeyPair(dir, algorithm)
  // The examples reach gatehouse through a counting proxy, which is therefore the issuer.
  const proxy = await countingProxy(t, () => `http://127.0.0.1:${port}`)
  const gatehouse = await startGatehouse(t, { dataDir: dir, port, algorithm, signing: key, publicUrl: proxy.url })
  await addUser(gatehouse.app, 'alice')
  const token = (await login(gatehouse.app, 'alice')).access_token
  const env = { GATEHOUSE_ISSUER: proxy.url, GATEHOUSE_ALGORITHM: algorithm, JWKS_CACHE_TTL_SECONDS: '300', JWKS_MISS_COOLDOWN_SECONDS: '60' }
  const examples = [await startExample(t, 'fastify', process.execPath, FASTIFY_EXAMPLE, env)]
  if (needPyJwt(t)) examples.push(await startExample(t, 'python', PYTHON, PYTHON_EXAMPLE, env))

  for (const example of examples) {
    const before = proxy.count('/.well-known/jwks.json')
    t.equal((await example.get('/hello', token)).status, 200, `${example.name}: a genuine token`)
    t.equal(proxy.count('/.well-known/jwks.json'), before + 1, `${example.name}: one fetch for the first token`)
    const junk = Array.from({ length: 20 }, (_, i) => reSigned(token, key, algorithm, { kid: `made-up-${i}` }))
    const answers = await Promise.all(junk.map(async bad => await example.get('/hello', bad)))
    t.same(answers.map(a => a.status), junk.map(() => 401), `${example.name}: every made-up kid refused`)
    t.equal(proxy.count('/.well-known/jwks.json'), before + 2, `${example.name}: 20 made-up kids, one more fetch`)
    t.equal((await example.get('/hello', token)).status, 200, `${example.name}: the genuine token still passes`)
    t.equal(proxy.count('/.well-known/jwks.json'), before + 2, `${example.name}: from the cache`)
  }
})
