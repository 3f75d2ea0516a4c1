import t from 'tap'
import { addUser, build, form, login, PASSWORD } from '../helper.js'

t.test('password grant returns tokens with no-store headers', async t => {
  const app = await build(t)
  await addUser(app, 'alice', { scopes: ['users:admin', 'reports:read'] })
  const res = await app.inject({ method: 'POST', url: '/token', ...form({ username: 'Alice', password: PASSWORD }) })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['cache-control'], 'no-store')
  t.equal(res.headers.pragma, 'no-cache')
  const body = res.json()
  t.same(Object.keys(body).sort(), ['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type'])
  t.equal(body.token_type, 'bearer')
  t.equal(body.expires_in, 900)
  t.equal(body.scope, 'reports:read users:admin')
  t.match(body.refresh_token, /^[A-Za-z0-9_-]{43}$/)
})

t.test('login helper works', async t => {
  const app = await build(t)
  await addUser(app, 'bob')
  const tokens = await login(app, 'bob')
  t.ok(tokens.access_token)
})
