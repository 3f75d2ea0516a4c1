import t from 'tap'
import { addUser, bearer, build, login, me } from '../helper.js'

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
