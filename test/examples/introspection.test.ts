import t from 'tap'
import { addClient, addUser, bearer, form, login, tempDir } from '../helper.js'
import { decodeSegment, writeKeyPair } from '../keys/key-files.js'
import { FASTIFY_EXAMPLE, freePort, startExample, startGatehouse } from './resource-servers.js'

// The Fastify example's /sensitive route asks gatehouse (POST /introspect,
// RFC 7662) about every token, as a registered client: a session revoked a
// moment ago is refused there, while the offline /hello cannot see it.

t.test('the introspecting route refuses a token as soon as its session is revoked; the offline route cannot tell', async t => {
  const algorithm = 'ES256'
  const dir = tempDir(t)
  const gatehouse = await startGatehouse(t, { dataDir: dir, port: await freePort(), algorithm, signing: writeKeyPair(dir, algorithm) })
  const app = gatehouse.app
  await addUser(app, 'alice')
  const secret = await addClient(app, 'orders-api', { scopes: ['introspect'] }) as string
  const settings = { GATEHOUSE_ISSUER: gatehouse.issuer, GATEHOUSE_ALGORITHM: algorithm, JWKS_CACHE_TTL_SECONDS: '60' }
  const example = await startExample(t, 'fastify', process.execPath, FASTIFY_EXAMPLE, { ...settings, INTROSPECTION_CLIENT_ID: 'orders-api', INTROSPECTION_CLIENT_SECRET: secret })

  // POST /logout ends the session.
  const first = (await login(app, 'alice')).access_token
  const live = await example.get('/sensitive', first)
  t.equal(live.status, 200, 'accepted while the session lives')
  t.same(live.body, { hello: decodeSegment(first, 1).sub, username: 'alice', scope: '', verified: 'introspection' })
  t.equal((await app.inject({ method: 'POST', url: '/logout', headers: bearer(first) })).statusCode, 204)
  const afterLogout = await example.get('/sensitive', first)
  t.equal(afterLogout.status, 401, 'refused right after the logout')
  t.equal(afterLogout.body.error, 'invalid_token')
  t.equal(afterLogout.wwwAuthenticate, 'Bearer error="invalid_token"')
  t.equal((await example.get('/hello', first)).status, 200, 'offline verification still accepts it: the price of not asking')

  // POST /revoke (RFC 7009) with the access token ends its session too.
  const second = (await login(app, 'alice')).access_token
  t.equal((await example.get('/sensitive', second)).status, 200)
  t.equal((await app.inject({ method: 'POST', url: '/revoke', ...form({ token: second }) })).statusCode, 200)
  t.equal((await example.get('/sensitive', second)).status, 401, 'refused right after /revoke')

  // A token the offline checks refuse never reaches gatehouse, and a wrong client secret fails closed.
  t.equal((await example.get('/sensitive', first.slice(0, -4) + 'AAAA')).status, 401)
  const third = (await login(app, 'alice')).access_token
  const wrongSecret = await startExample(t, 'fastify (wrong secret)', process.execPath, FASTIFY_EXAMPLE, { ...settings, INTROSPECTION_CLIENT_ID: 'orders-api', INTROSPECTION_CLIENT_SECRET: 'not-the-secret' })
  const refused = await wrongSecret.get('/sensitive', third)
  t.equal(refused.status, 503, 'gatehouse refuses the client: the example refuses the request (fail closed)')
  t.equal(refused.body.error, 'temporarily_unavailable')
  t.equal((await wrongSecret.get('/hello', third)).status, 200, 'its offline route is unaffected')
  const unconfigured = await startExample(t, 'fastify (no client)', process.execPath, FASTIFY_EXAMPLE, settings)
  t.equal((await unconfigured.get('/sensitive', third)).status, 503, 'without client credentials the sensitive route is closed')
})
