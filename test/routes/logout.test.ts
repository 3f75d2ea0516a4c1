import t from 'tap'
import { addUser, bearer, build, login, me, refresh } from '../helper.js'

t.test('POST /logout revokes the session at once: access token 401, refresh token invalid_grant', async t => {
  const app = await build(t)
  await addUser(app, 'alice')
  const tokens = await login(app, 'alice')
  const other = await login(app, 'alice')
  const res = await app.inject({ method: 'POST', url: '/logout', headers: bearer(tokens.access_token) })
  t.equal(res.statusCode, 204)
  t.equal(res.body, '')
  const after = await me(app, tokens.access_token)
  t.equal(after.statusCode, 401)
  t.equal(after.json().error, 'invalid_token')
  const refreshed = await refresh(app, tokens.refresh_token)
  t.equal(refreshed.statusCode, 400)
  t.equal(refreshed.json().error, 'invalid_grant')
  t.equal((await me(app, other.access_token)).statusCode, 200, 'another session of the same user lives on')
})

t.test('POST /logout needs a valid token', async t => {
  const app = await build(t)
  t.equal((await app.inject({ method: 'POST', url: '/logout' })).statusCode, 401)
  t.equal((await app.inject({ method: 'POST', url: '/logout', headers: bearer('nope') })).json().error, 'invalid_token')
})
