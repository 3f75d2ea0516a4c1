import t from 'tap'
import { addUser, bearer, build, login, me } from '../../helper.js'

async function withAdmin (t: Parameters<typeof build>[0]) {
  const app = await build(t)
  await addUser(app, 'root', { scopes: ['users:admin'] })
  const { access_token: token } = await login(app, 'root')
  return { app, token, auth: bearer(token) }
}

t.test('GET /users: cursor pagination visits every user once', async t => {
  const { app, auth } = await withAdmin(t)
  const names = ['gina', 'bob', 'Fred', 'alice', 'erin', 'dave', 'carol']
  for (const name of names) await addUser(app, name)
  const expected = [...names.map(n => n.toLowerCase()), 'root'].sort()
  const seen: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const url: string = cursor === null ? '/users?limit=3' : `/users?limit=3&after=${encodeURIComponent(cursor)}`
    const res = await app.inject({ method: 'GET', url, headers: auth })
    t.equal(res.statusCode, 200)
    const body = res.json() as { users: Array<{ username: string }>, next_cursor: string | null }
    t.ok(body.users.length <= 3)
    seen.push(...body.users.map(u => u.username))
    cursor = body.next_cursor
    pages++
  } while (cursor !== null && pages < 10)
  t.same(seen, expected, 'in order, no duplicates, none missed')
  t.equal(pages, 3)
  t.notMatch(JSON.stringify(seen), /\$2b\$/)
  t.equal((await app.inject({ method: 'GET', url: '/users?limit=0', headers: auth })).statusCode, 400)
  t.equal((await app.inject({ method: 'GET', url: '/users?limit=201', headers: auth })).statusCode, 400)
  t.equal((await app.inject({ method: 'GET', url: '/users?sort=name', headers: auth })).statusCode, 400, 'unknown query parameter')
})

t.test('GET /users/:username', async t => {
  const { app, auth } = await withAdmin(t)
  await addUser(app, 'alice', { scopes: ['reports:read'] })
  const res = await app.inject({ method: 'GET', url: '/users/ALICE', headers: auth })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { username: 'alice', scopes: ['reports:read'], disabled: false })
  t.notMatch(res.body, /password|\$2b\$/)
  const unknown = await app.inject({ method: 'GET', url: '/users/nobody', headers: auth })
  t.equal(unknown.statusCode, 404)
  t.equal(unknown.json().error, 'not_found')
})

t.test('PATCH /users/:username: fields, scopes, and disabling kills live tokens', async t => {
  const { app, auth } = await withAdmin(t)
  await addUser(app, 'alice')
  const alice = await login(app, 'alice')
  const patched = await app.inject({ method: 'PATCH', url: '/users/alice', headers: auth, payload: { email: 'alice@example.com', full_name: 'Alice A.', scopes: ['reports:read'] } })
  t.equal(patched.statusCode, 200)
  t.match(patched.json(), { username: 'alice', email: 'alice@example.com', full_name: 'Alice A.', scopes: ['reports:read'], disabled: false })
  t.equal((await me(app, alice.access_token)).statusCode, 200, 'an update that is not a disable keeps sessions')
  const scoped = await login(app, 'alice')
  t.equal(scoped.scope, 'reports:read', 'new scopes apply to the next login')

  const disabled = await app.inject({ method: 'PATCH', url: '/users/alice', headers: auth, payload: { disabled: true } })
  t.equal(disabled.statusCode, 200)
  t.equal(disabled.json().disabled, true)
  for (const tokens of [alice, scoped]) {
    const res = await me(app, tokens.access_token)
    t.equal(res.statusCode, 401, 'live access token refused on the very next request')
    t.equal(res.json().error, 'invalid_token')
  }
  const reenabled = await app.inject({ method: 'PATCH', url: '/users/alice', headers: auth, payload: { disabled: false } })
  t.equal(reenabled.json().disabled, false)
  t.equal((await me(app, alice.access_token)).statusCode, 401, 're-enabling does not revive revoked sessions')
  t.ok(await login(app, 'alice'), 'but a new login works')

  t.equal((await app.inject({ method: 'PATCH', url: '/users/nobody', headers: auth, payload: { disabled: true } })).statusCode, 404)
  t.equal((await app.inject({ method: 'PATCH', url: '/users/alice', headers: auth, payload: {} })).statusCode, 400, 'empty patch')
  t.equal((await app.inject({ method: 'PATCH', url: '/users/alice', headers: auth, payload: { password_hash: 'x' } })).statusCode, 400, 'unknown field')
  t.equal((await app.inject({ method: 'PATCH', url: '/users/alice', headers: auth, payload: { scopes: ['bad scope'] } })).statusCode, 400, 'bad scope')
})

t.test('DELETE /users/:username: 204, then their token is refused', async t => {
  const { app, auth } = await withAdmin(t)
  await addUser(app, 'alice')
  const alice = await login(app, 'alice')
  const res = await app.inject({ method: 'DELETE', url: '/users/Alice', headers: auth })
  t.equal(res.statusCode, 204)
  t.equal((await me(app, alice.access_token)).statusCode, 401)
  t.equal((await app.inject({ method: 'GET', url: '/users/alice', headers: auth })).statusCode, 404)
  t.equal((await app.inject({ method: 'DELETE', url: '/users/alice', headers: auth })).statusCode, 404)
})

t.test('every admin route is 403 without users:admin, 401 without a token', async t => {
  const app = await build(t)
  await addUser(app, 'bob')
  await addUser(app, 'alice')
  const { access_token: token } = await login(app, 'bob')
  const routes: Array<{ method: 'GET' | 'PATCH' | 'DELETE', url: string, payload?: object }> = [
    { method: 'GET', url: '/users' },
    { method: 'GET', url: '/users/alice' },
    { method: 'PATCH', url: '/users/alice', payload: { disabled: true } },
    { method: 'DELETE', url: '/users/alice' }
  ]
  for (const route of routes) {
    const res = await app.inject({ ...route, headers: bearer(token) })
    t.equal(res.statusCode, 403, `${route.method} ${route.url}`)
    t.equal(res.headers['www-authenticate'], 'Bearer error="insufficient_scope", scope="users:admin"')
    const anonymous = await app.inject(route)
    t.equal(anonymous.statusCode, 401, `${route.method} ${route.url} anonymous`)
  }
  t.ok(await login(app, 'alice'), 'alice was neither disabled nor deleted')
})
