import t from 'tap'
import { addUser, bearer, build, form, login, me, PASSWORD } from '../helper.js'

// The Bearer path keeps a prepared statement (SQLite) and remembers accepted
// token headers: neither may let a revoked session or a forged token through.

t.test('a revoked session is refused on the very next request through the prepared lookup', async t => {
  const app = await build(t)
  await addUser(app, 'alice')
  const first = await login(app, 'alice')
  const second = await login(app, 'alice')
  t.equal((await me(app, first.access_token)).statusCode, 200)
  t.equal((await me(app, second.access_token)).statusCode, 200)

  const logout = await app.inject({ method: 'POST', url: '/logout', headers: bearer(first.access_token) })
  t.equal(logout.statusCode, 204)
  t.equal((await me(app, first.access_token)).statusCode, 401)
  t.equal((await me(app, second.access_token)).statusCode, 200, 'only the revoked session is refused')
})

t.test('a known header does not vouch for the rest of a token', async t => {
  const app = await build(t)
  await addUser(app, 'bob')
  const { access_token: token } = await login(app, 'bob')
  t.equal((await me(app, token)).statusCode, 200)
  const [header, payload, signature] = token.split('.') as [string, string, string]

  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  const forgedPayload = Buffer.from(JSON.stringify({ ...claims, sub: 'mallory' })).toString('base64url')
  t.equal((await me(app, `${header}.${forgedPayload}.${signature}`)).statusCode, 401, 'payload changed under a known header')
  t.equal((await me(app, `${header}.${payload}.${signature.slice(0, -4)}AAAA`)).statusCode, 401, 'signature changed')

  const noneHeader = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')
  t.equal((await me(app, `${noneHeader}.${payload}.${signature}`)).statusCode, 401, 'alg none after a valid token was seen')
  t.equal((await me(app, token)).statusCode, 200, 'the genuine token still works')
})

t.test('every route that changes a session or a user: the next Bearer request sees it, other cached sessions stay right', async t => {
  const app = await build(t)
  await addUser(app, 'root', { scopes: ['users:admin'] })
  await addUser(app, 'alice', { scopes: ['reports:read'] })
  await addUser(app, 'bob', { scopes: ['reports:read'] })
  const root = (await login(app, 'root', undefined, { scope: 'users:admin' })).access_token
  const tokens = async (username: string) => (await login(app, username, undefined, { scope: 'reports:read' })).access_token
  const status = async (token: string) => (await me(app, token)).statusCode
  const scopes = async (token: string) => (me(app, token).then(res => res.json().scopes as string[]))
  const admin = async (method: 'PATCH' | 'DELETE', username: string, payload?: object) => {
    const res = await app.inject({ method, url: `/users/${username}`, headers: bearer(root), payload })
    t.ok(res.statusCode < 300, `${method} ${username}: ${res.statusCode}`)
  }
  const bob = await tokens('bob')
  t.equal(await status(bob), 200, "bob's session is cached throughout")

  let alice = await tokens('alice')
  t.same(await scopes(alice), ['reports:read'])
  await admin('PATCH', 'alice', { scopes: [] })
  t.same(await scopes(alice), [], 'scopes taken away')
  await admin('PATCH', 'alice', { disabled: true })
  t.equal(await status(alice), 401, 'disabled')
  await admin('PATCH', 'alice', { disabled: false, scopes: ['reports:read'] })

  alice = await tokens('alice')
  t.equal(await status(alice), 200)
  await admin('PATCH', 'alice', { password: 'Another-Sturdy-Lamp-77' })
  t.equal(await status(alice), 401, 'a password set by an admin revokes')
  alice = (await login(app, 'alice', 'Another-Sturdy-Lamp-77')).access_token
  const other = (await login(app, 'alice', 'Another-Sturdy-Lamp-77')).access_token
  t.equal(await status(other), 200)
  const change = await app.inject({
    method: 'PUT', url: '/users/me/password', headers: bearer(alice), payload: { current_password: 'Another-Sturdy-Lamp-77', new_password: PASSWORD }
  })
  t.equal(change.statusCode, 204)
  t.equal(await status(other), 401, 'changing the password revokes the other sessions')
  t.equal(await status(alice), 200, 'but not the current one')

  const third = (await login(app, 'alice')).access_token
  t.equal(await status(third), 200)
  const thirdSid = JSON.parse(Buffer.from(third.split('.')[1] as string, 'base64url').toString()).sid as string
  t.equal((await app.inject({ method: 'DELETE', url: `/users/me/sessions/${thirdSid}`, headers: bearer(alice) })).statusCode, 204)
  t.equal(await status(third), 401, 'one session revoked from the list')
  const fourth = (await login(app, 'alice')).access_token
  t.equal(await status(fourth), 200)
  t.equal((await app.inject({ method: 'DELETE', url: '/users/me/sessions', headers: bearer(alice) })).statusCode, 204)
  t.equal(await status(fourth), 401, 'every other session revoked')

  const fifth = (await login(app, 'alice')).access_token
  t.equal(await status(fifth), 200)
  t.equal((await app.inject({ method: 'POST', url: '/revoke', ...form({ token: fifth, token_type_hint: 'access_token' }) })).statusCode, 200)
  t.equal(await status(fifth), 401, '/revoke of an access token')

  await admin('DELETE', 'alice')
  t.equal(await status(alice), 401, 'deleted')
  t.equal(await status(bob), 200, "bob's session was never touched")
})
