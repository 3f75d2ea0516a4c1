import t from 'tap'
import { addUser, bearer, build, form, login, me, PASSWORD, refresh } from '../../helper.js'
import { postgresSchema } from './postgres-schema.js'

t.test('the whole login / refresh / logout flow on PostgreSQL', async t => {
  const pg = await postgresSchema(t)
  if (pg === undefined) return
  const app = await build(t, { DATABASE_URL: pg.url })
  t.equal(app.store.dialect, 'postgres')
  t.equal((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode, 200)

  await addUser(app, 'Alice', { scopes: ['users:admin'] })
  const wrong = await app.inject({ method: 'POST', url: '/token', ...form({ username: 'alice', password: 'wrong-password' }) })
  t.equal(wrong.statusCode, 401)
  t.same(wrong.json(), { error: 'invalid_grant', error_description: 'Incorrect username or password' })

  const first = await login(app, 'ALICE')
  t.equal(first.scope, 'users:admin')
  t.equal((await me(app, first.access_token)).json().username, 'alice')

  const rotated = await refresh(app, first.refresh_token)
  t.equal(rotated.statusCode, 200)
  const second = rotated.json()
  t.not(second.refresh_token, first.refresh_token)

  const listed = await app.inject({ method: 'GET', url: '/users/me/sessions', headers: bearer(second.access_token) })
  t.equal(listed.json().length, 1)
  const admin = await app.inject({ method: 'GET', url: '/users?limit=10', headers: bearer(second.access_token) })
  t.equal(admin.statusCode, 200)

  const reuse = await refresh(app, first.refresh_token)
  t.equal(reuse.statusCode, 400, 'an already-used refresh token is refused')
  t.equal(reuse.json().error, 'invalid_grant')
  t.equal((await refresh(app, second.refresh_token)).statusCode, 400, 'reuse revoked the whole session')
  t.equal((await me(app, second.access_token)).statusCode, 401, 'and its access tokens')

  const third = await login(app, 'alice', PASSWORD)
  const logout = await app.inject({ method: 'POST', url: '/logout', headers: bearer(third.access_token) })
  t.equal(logout.statusCode, 204)
  const after = await me(app, third.access_token)
  t.equal(after.statusCode, 401)
  t.equal(after.json().error, 'invalid_token')
  t.equal((await refresh(app, third.refresh_token)).statusCode, 400)

  const removed = await app.inject({ method: 'DELETE', url: '/users/alice', headers: bearer((await login(app, 'alice')).access_token) })
  t.equal(removed.statusCode, 204)
  t.equal((await app.inject({ method: 'POST', url: '/token', ...form({ username: 'alice', password: PASSWORD }) })).statusCode, 401)
})
