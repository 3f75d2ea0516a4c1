import t from 'tap'
import { addUser, bearer, build, login, PASSWORD } from '../../helper.js'

const register = async (app: Awaited<ReturnType<typeof build>>, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  await app.inject({ method: 'POST', url: '/users', payload: body, headers })

t.test('closed by default: 401 without a token, 403 for a non-admin, 201 for an admin', async t => {
  const app = await build(t)
  await addUser(app, 'bob')
  await addUser(app, 'root', { scopes: ['users:admin'] })
  const anonymous = await register(app, { username: 'carol', password: PASSWORD })
  t.equal(anonymous.statusCode, 401)
  t.equal(anonymous.json().error, 'unauthorized')
  t.equal(anonymous.headers['www-authenticate'], 'Bearer')
  const bob = await login(app, 'bob')
  const forbidden = await register(app, { username: 'carol', password: PASSWORD }, bearer(bob.access_token))
  t.equal(forbidden.statusCode, 403)
  t.equal(forbidden.json().error, 'insufficient_scope')
  const root = await login(app, 'root')
  const created = await register(app, { username: 'carol', password: PASSWORD }, bearer(root.access_token))
  t.equal(created.statusCode, 201)
  t.equal(created.json().username, 'carol')
})

t.test('open with SIGNUP_ENABLED=true', async t => {
  const app = await build(t, { SIGNUP_ENABLED: 'true' })
  const res = await register(app, { username: 'Carol', password: PASSWORD, email: 'carol@example.com', full_name: 'Carol C.' })
  t.equal(res.statusCode, 201)
  t.equal(res.headers.location, '/users/carol')
  const body = res.json()
  t.match(body, { username: 'carol', email: 'carol@example.com', full_name: 'Carol C.', disabled: false, scopes: [] })
  t.same(Object.keys(body).sort(), ['created_at', 'disabled', 'email', 'email_verified', 'full_name', 'scopes', 'updated_at', 'username'])
  t.notMatch(res.body, /password|\$2b\$/, 'no password or hash in the body')
  t.ok(await login(app, 'carol'), 'the new user can log in')

  const taken = await register(app, { username: 'CAROL', password: PASSWORD })
  t.equal(taken.statusCode, 409, 'taken, case-insensitively')
  t.equal(taken.json().error, 'conflict')
})

t.test('self-registration cannot grant scopes', async t => {
  const app = await build(t, { SIGNUP_ENABLED: 'true' })
  const res = await register(app, { username: 'mallory', password: PASSWORD, scopes: ['users:admin'] })
  t.equal(res.statusCode, 400)
  t.equal(res.json().error, 'invalid_request')
})

t.test('invalid usernames and policy failures are 400 invalid_request naming the rule', async t => {
  const app = await build(t, { SIGNUP_ENABLED: 'true' })
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ username: 'has space', password: PASSWORD }, /username/i],
    [{ username: 'sl/ash', password: PASSWORD }, /username/i],
    [{ username: 'ab', password: PASSWORD }, /username/],
    [{ username: 'carol', password: 'short' }, /at least 8 bytes/],
    [{ username: 'carol', password: 'x'.repeat(73) }, /at most 72 bytes/],
    [{ username: 'carol', password: 'password1' }, /too common/],
    [{ username: 'carol-the-cat', password: 'Carol-The-Cat' }, /not be the username/],
    [{ username: 'carol', password: PASSWORD, email: 'not-an-email' }, /email/],
    [{ password: PASSWORD }, /username/]
  ]
  for (const [body, rule] of cases) {
    const res = await register(app, body)
    t.equal(res.statusCode, 400, JSON.stringify(body).slice(0, 60))
    t.equal(res.json().error, 'invalid_request')
    t.match(res.json().error_description, rule)
  }
})

t.test('JSON only: a form body is 415', async t => {
  const app = await build(t, { SIGNUP_ENABLED: 'true' })
  const res = await app.inject({ method: 'POST', url: '/users', payload: `username=carol&password=${PASSWORD}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.equal(res.statusCode, 415)
  t.equal(res.json().error, 'unsupported_media_type')
})

t.test('two registrations of one name at once: one 201, one 409', async t => {
  const app = await build(t, { SIGNUP_ENABLED: 'true' })
  const results = await Promise.all([
    register(app, { username: 'dave', password: PASSWORD }),
    register(app, { username: 'DAVE', password: PASSWORD })
  ])
  t.same(results.map(r => r.statusCode).sort(), [201, 409])
})
