import { SQLiteDatabase as SQLite } from '../../src/store/sqlite-driver.js'
import { decodeJwt } from 'jose'
import t from 'tap'
import { addUser, bearer, build, login, me, PASSWORD } from '../helper.js'

const nextTurn = async () => { await new Promise(resolve => setImmediate(resolve)) }
const INVALID_TOKEN = /^Bearer error="invalid_token", error_description="[^"]+"$/

t.test('no credentials: 401 unauthorized with a bare Bearer challenge', async t => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: '/users/me' })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], 'Bearer')
  t.equal(res.json().error, 'unauthorized')
  const basic = await app.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}` } })
  t.equal(basic.statusCode, 401)
  t.equal(basic.headers['www-authenticate'], 'Bearer')
  t.equal(basic.json().error, 'unauthorized')
})

t.test('garbage, empty, expired and tampered tokens: 401 invalid_token with a description', async t => {
  const app = await build(t)
  await addUser(app, 'alice', { scopes: ['users:admin'] })
  const { access_token: good } = await login(app, 'alice')
  const claims = decodeJwt(good)
  const expired = app.accessTokens.issue(
    { username: 'alice', scopes: ['users:admin'], sessionId: claims.sid as string, authTime: claims.auth_time as number },
    Date.now() - 3600_000
  ).token
  const [h, p, s] = good.split('.') as [string, string, string]
  const forged = Buffer.from(JSON.stringify({ ...claims, scope: 'users:admin everything' })).toString('base64url')
  const cases: Record<string, string> = {
    garbage: 'not-a-jwt',
    'three dots': 'a.b.c',
    expired,
    'tampered payload': `${h}.${forged}.${s}`,
    'tampered signature': `${h}.${p}.${s.slice(0, -4)}AAAA`,
    oversized: 'a'.repeat(5000)
  }
  for (const [name, token] of Object.entries(cases)) {
    const res = await me(app, token)
    t.equal(res.statusCode, 401, name)
    t.equal(res.json().error, 'invalid_token', name)
    t.match(res.headers['www-authenticate'], INVALID_TOKEN, name)
  }
  t.match((await me(app, expired)).headers['www-authenticate'], /error_description="The access token expired"/)
  const empty = await app.inject({ method: 'GET', url: '/users/me', headers: { authorization: 'Bearer ' } })
  t.equal(empty.statusCode, 401)
  t.equal(empty.json().error, 'invalid_token')
  t.equal((await me(app, good)).statusCode, 200, 'the untampered token works')
})

t.test('a user disabled or deleted after login is refused on the very next request', async t => {
  const app = await build(t)
  await addUser(app, 'alice')
  await addUser(app, 'bob')
  const alice = await login(app, 'alice')
  const bob = await login(app, 'bob')
  t.equal((await me(app, alice.access_token)).statusCode, 200)
  // Straight in the database, as an operator's SQL would (another connection, not the service's
  // repositories, so no session is revoked and nothing is forgotten): the Bearer check itself must notice.
  const operator = new SQLite(app.store.location)
  t.teardown(() => operator.close())
  operator.prepare("update users set disabled = 1 where username = 'alice'").run()
  // Another connection's commit is looked for once per event-loop turn; a request from a socket
  // always arrives in a later turn than the commit, app.inject's would not without this.
  await nextTurn()
  const disabled = await me(app, alice.access_token)
  t.equal(disabled.statusCode, 401)
  t.equal(disabled.json().error, 'invalid_token')
  t.match(disabled.headers['www-authenticate'], INVALID_TOKEN)

  t.equal((await me(app, bob.access_token)).statusCode, 200)
  operator.prepare("delete from users where username = 'bob'").run()
  await nextTurn()
  const deleted = await me(app, bob.access_token)
  t.equal(deleted.statusCode, 401)
  t.equal(deleted.json().error, 'invalid_token')
})

t.test('a deleted user re-created under the same name does not inherit the old token', async t => {
  const app = await build(t)
  await addUser(app, 'alice')
  const old = await login(app, 'alice')
  await app.userService.delete('alice')
  await addUser(app, 'alice')
  t.equal((await me(app, old.access_token)).statusCode, 401)
})

t.test('missing scope: 403 insufficient_scope naming the scope', async t => {
  const app = await build(t)
  await addUser(app, 'bob')
  await addUser(app, 'alice', { scopes: ['users:admin'] })
  const bob = await login(app, 'bob')
  const res = await app.inject({ method: 'GET', url: '/users', headers: bearer(bob.access_token) })
  t.equal(res.statusCode, 403)
  t.equal(res.json().error, 'insufficient_scope')
  t.equal(res.headers['www-authenticate'], 'Bearer error="insufficient_scope", scope="users:admin"')
  const narrowed = await login(app, 'alice', undefined, { scope: '' })
  t.equal(decodeJwt(narrowed.access_token).scope, 'users:admin', 'an empty scope parameter means all')
  await app.userService.update('alice', { scopes: [] })
  const revokedScope = await app.inject({ method: 'GET', url: '/users', headers: bearer(narrowed.access_token) })
  t.equal(revokedScope.statusCode, 403, 'a scope taken away from the user stops working at once')
})

t.test('trailing slash is the same route', async t => {
  const app = await build(t)
  await addUser(app, 'alice')
  const { access_token: token } = await login(app, 'alice')
  const res = await app.inject({ method: 'GET', url: '/users/me/', headers: bearer(token) })
  t.equal(res.statusCode, 200)
  t.equal(res.json().username, 'alice')
  t.equal((await app.inject({ method: 'GET', url: '/users/me/' })).statusCode, 401, 'and it is protected')
})

t.test('GET /users/me returns the user without secrets', async t => {
  const app = await build(t)
  await app.userService.register({ username: 'alice', password: PASSWORD, email: 'a@example.com', fullName: 'Alice A.', scopes: ['users:admin'] })
  const { access_token: token } = await login(app, 'alice')
  const res = await me(app, token)
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.match(body, { username: 'alice', email: 'a@example.com', full_name: 'Alice A.', disabled: false, scopes: ['users:admin'] })
  t.same(Object.keys(body).sort(), ['created_at', 'disabled', 'email', 'email_verified', 'full_name', 'scopes', 'updated_at', 'username'])
  t.notMatch(res.body, /\$2b\$/, 'no password hash')
})
