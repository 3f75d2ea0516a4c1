import t from 'tap'
import { addUser, bearer, build, login } from '../helper.js'

t.test('unknown route: 404 not_found in the one error shape', async t => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: '/nope' })
  t.equal(res.statusCode, 404)
  t.match(res.headers['content-type'], /^application\/json/)
  t.same(Object.keys(res.json()).sort(), ['error', 'error_description'])
  t.equal(res.json().error, 'not_found')
})

t.test('router-level errors use the one error shape too', async t => {
  const app = await build(t)
  const badUrl = await app.inject({ method: 'GET', url: '/users/%ZZ' })
  t.equal(badUrl.statusCode, 400)
  t.same(Object.keys(badUrl.json()).sort(), ['error', 'error_description'])
  t.equal(badUrl.json().error, 'invalid_request')
  const longParam = await app.inject({ method: 'GET', url: `/users/${'a'.repeat(300)}` })
  t.equal(longParam.statusCode, 414)
  t.same(Object.keys(longParam.json()).sort(), ['error', 'error_description'])
  t.equal(longParam.json().error, 'invalid_request')
})

t.test('wrong method on a known path: 405 method_not_allowed with Allow', async t => {
  const app = await build(t)
  const token = await app.inject({ method: 'GET', url: '/token' })
  t.equal(token.statusCode, 405)
  t.equal(token.json().error, 'method_not_allowed')
  t.equal(token.headers.allow, 'POST')
  const password = await app.inject({ method: 'GET', url: '/users/me/password/' })
  t.equal(password.statusCode, 405)
  t.equal(password.headers.allow, 'PUT')
  const me = await app.inject({ method: 'POST', url: '/users/me' })
  t.equal(me.statusCode, 405)
  t.match(me.headers.allow, /\bGET\b/)
  const user = await app.inject({ method: 'PUT', url: '/users/alice' })
  t.equal(user.statusCode, 405)
  t.same(user.headers.allow?.toString().split(', ').sort(), ['DELETE', 'GET', 'PATCH'])
})

t.test('with CORS on, whose preflight route matches every path: unknown paths stay 404, Allow names real methods', async t => {
  const app = await build(t, { CORS_ORIGINS: 'https://app.example' })
  const unknown = await app.inject({ method: 'GET', url: '/nope' })
  t.equal(unknown.statusCode, 404)
  t.equal(unknown.json().error, 'not_found')
  t.equal(unknown.headers.allow, undefined)
  const token = await app.inject({ method: 'GET', url: '/token' })
  t.equal(token.statusCode, 405)
  t.equal(token.headers.allow, 'POST')
  const user = await app.inject({ method: 'POST', url: '/users/alice/' })
  t.equal(user.statusCode, 405, 'a trailing slash is the same path')
  t.same(user.headers.allow?.toString().split(', ').sort(), ['DELETE', 'GET', 'PATCH'])
})

t.test('bodies over 16 KB: 413 payload_too_large', async t => {
  const app = await build(t, { SIGNUP_ENABLED: 'true' })
  const json = await app.inject({ method: 'POST', url: '/users', payload: { username: 'x', password: 'y'.repeat(17 * 1024) } })
  t.equal(json.statusCode, 413)
  t.equal(json.json().error, 'payload_too_large')
  const form = await app.inject({ method: 'POST', url: '/token', payload: `username=a&password=${'y'.repeat(17 * 1024)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.equal(form.statusCode, 413)
  t.equal(form.json().error, 'payload_too_large')
})

t.test('malformed JSON: 400 invalid_request', async t => {
  const app = await build(t, { SIGNUP_ENABLED: 'true' })
  const res = await app.inject({ method: 'POST', url: '/users', payload: '{"username": "x",', headers: { 'content-type': 'application/json' } })
  t.equal(res.statusCode, 400)
  t.equal(res.json().error, 'invalid_request')
  t.notMatch(res.body, /at JSON\.parse|node_modules/)
  const empty = await app.inject({ method: 'POST', url: '/users', payload: '', headers: { 'content-type': 'application/json' } })
  t.equal(empty.statusCode, 400)
  t.equal(empty.json().error, 'invalid_request')
})

t.test('an unexpected error: 500 server_error with nothing internal', async t => {
  const app = await build(t)
  await addUser(app, 'root', { scopes: ['users:admin'] })
  const { access_token: token } = await login(app, 'root')
  // Force a failure deep in the domain, as a bug or a driver error would.
  t.capture(app.userService, 'get', async () => { throw new Error('boom: SELECT * FROM users at /srv/secret/path.ts:42') })
  const res = await app.inject({ method: 'GET', url: '/users/alice', headers: bearer(token) })
  t.equal(res.statusCode, 500)
  t.equal(res.body, '{"error":"server_error","error_description":"Internal server error"}')
  t.notMatch(res.body, /boom|SELECT|secret|stack/)
})

t.test('helmet headers are present, HSTS is not sent over plain HTTP', async t => {
  const app = await build(t)
  for (const url of ['/health/live', '/nope', '/users/me']) {
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.headers['x-content-type-options'], 'nosniff', url)
    t.equal(res.headers['content-security-policy'], "default-src 'none';frame-ancestors 'none'", `${url}: an API's CSP, nothing loads, nothing frames`)
    t.equal(res.headers['x-frame-options'], 'DENY', url)
    t.equal(res.headers['referrer-policy'], 'no-referrer', url)
    t.notOk(res.headers['strict-transport-security'], `${url}: no HSTS over http`)
    t.notOk(res.headers['x-powered-by'], url)
  }
})

t.test('CORS: listed origins only; credentials only when configured', async t => {
  const app = await build(t, { CORS_ORIGINS: 'https://app.example,https://admin.example' })
  const listed = await app.inject({ method: 'GET', url: '/health/live', headers: { origin: 'https://app.example' } })
  t.equal(listed.headers['access-control-allow-origin'], 'https://app.example')
  t.notOk(listed.headers['access-control-allow-credentials'], 'no credentials unless CORS_CREDENTIALS=true')
  t.match(String(listed.headers['access-control-expose-headers']).toLowerCase(), /www-authenticate/, 'browsers may read the challenge (step-up, invalid_token)')
  const unlisted = await app.inject({ method: 'GET', url: '/health/live', headers: { origin: 'https://evil.example' } })
  t.notOk(unlisted.headers['access-control-allow-origin'])
  t.notOk(unlisted.headers['access-control-allow-credentials'])
  t.notOk(unlisted.headers['access-control-expose-headers'], 'no CORS header at all for an unlisted origin')

  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/users/me',
    headers: { origin: 'https://admin.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' }
  })
  t.equal(preflight.statusCode, 204)
  t.equal(preflight.headers['access-control-allow-origin'], 'https://admin.example')
  t.match(preflight.headers['access-control-allow-methods'], /GET/)
  t.match(String(preflight.headers['access-control-allow-headers']).toLowerCase(), /authorization/)
  const evilPreflight = await app.inject({
    method: 'OPTIONS',
    url: '/users/me',
    headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' }
  })
  t.notOk(evilPreflight.headers['access-control-allow-origin'], 'an unlisted preflight gets no CORS headers')
  t.notOk(evilPreflight.headers['access-control-allow-methods'])

  const withCredentials = await build(t, { CORS_ORIGINS: 'https://app.example', CORS_CREDENTIALS: 'true' })
  const credentialed = await withCredentials.inject({ method: 'GET', url: '/health/live', headers: { origin: 'https://app.example' } })
  t.equal(credentialed.headers['access-control-allow-origin'], 'https://app.example')
  t.equal(credentialed.headers['access-control-allow-credentials'], 'true')
  const other = await withCredentials.inject({ method: 'GET', url: '/health/live', headers: { origin: 'https://evil.example' } })
  t.notOk(other.headers['access-control-allow-credentials'], 'never credentials to an unlisted origin')
  t.notOk(other.headers['access-control-allow-origin'])
})

t.test('no CORS headers at all without CORS_ORIGINS', async t => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: '/health/live', headers: { origin: 'https://app.example' } })
  t.notOk(res.headers['access-control-allow-origin'])
})
