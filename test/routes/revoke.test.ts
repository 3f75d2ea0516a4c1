import t from 'tap'
import { addUser, build, form, login, me, refresh } from '../helper.js'

const revoke = async (app: Awaited<ReturnType<typeof build>>, fields: Record<string, string>) =>
  await app.inject({ method: 'POST', url: '/revoke', ...form(fields) })

t.test('POST /revoke with the refresh token revokes its session', async t => {
  const app = await build(t)
  await addUser(app, 'alice')
  const tokens = await login(app, 'alice')
  const res = await revoke(app, { token: tokens.refresh_token, token_type_hint: 'refresh_token' })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['cache-control'], 'no-store')
  t.equal((await me(app, tokens.access_token)).statusCode, 401, 'the access token dies with it')
  t.equal((await refresh(app, tokens.refresh_token)).json().error, 'invalid_grant')
})

t.test('POST /revoke with the access token revokes its session', async t => {
  const app = await build(t)
  await addUser(app, 'alice')
  const tokens = await login(app, 'alice')
  t.equal((await revoke(app, { token: tokens.access_token })).statusCode, 200, 'without a hint')
  t.equal((await me(app, tokens.access_token)).statusCode, 401)
  t.equal((await refresh(app, tokens.refresh_token)).json().error, 'invalid_grant', 'the refresh token dies with it')

  const hinted = await login(app, 'alice')
  t.equal((await revoke(app, { token: hinted.access_token, token_type_hint: 'access_token' })).statusCode, 200)
  t.equal((await me(app, hinted.access_token)).statusCode, 401)
})

t.test('a wrong hint still finds the token', async t => {
  const app = await build(t)
  await addUser(app, 'alice')
  const tokens = await login(app, 'alice')
  t.equal((await revoke(app, { token: tokens.refresh_token, token_type_hint: 'access_token' })).statusCode, 200)
  t.equal((await me(app, tokens.access_token)).statusCode, 401)
})

t.test('200 for unknown tokens; 400/415 for malformed requests', async t => {
  const app = await build(t)
  await addUser(app, 'alice')
  const tokens = await login(app, 'alice')
  for (const token of ['unknown', 'A'.repeat(43), 'x.y.z']) {
    const res = await revoke(app, { token })
    t.equal(res.statusCode, 200, token)
  }
  t.equal((await me(app, tokens.access_token)).statusCode, 200, 'nothing else was revoked')
  const missing = await revoke(app, {})
  t.equal(missing.statusCode, 400)
  t.equal(missing.json().error, 'invalid_request')
  t.equal((await revoke(app, { token: 'x', extra: 'y' })).statusCode, 400, 'unknown field')
  // RFC 6749 §5.2: an unsupported parameter value is invalid_request; the hints are access_token and refresh_token.
  const hint = await revoke(app, { token: tokens.refresh_token, token_type_hint: 'id_token' })
  t.equal(hint.statusCode, 400, 'an unknown token_type_hint')
  t.equal(hint.json().error, 'invalid_request')
  t.match(hint.json().error_description, /token_type_hint/)
  const json = await app.inject({ method: 'POST', url: '/revoke', payload: { token: tokens.refresh_token } })
  t.equal(json.statusCode, 415)
  t.equal(json.json().error, 'unsupported_media_type')
  t.equal((await me(app, tokens.access_token)).statusCode, 200, 'a refused request revokes nothing')
})
