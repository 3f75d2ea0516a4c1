import t from 'tap'
import { addUser, bearer, build, login, PASSWORD } from '../helper.js'

t.test('JSON bodies are not type-coerced: a string for a boolean or a number for a password is a 400', async t => {
  const app = await build(t, {}, config => { config.sessions.reauthMaxAgeSeconds = 3600 })
  await addUser(app, 'admin', { scopes: ['users:admin'] })
  await addUser(app, 'bob')
  const { access_token: token } = await login(app, 'admin')

  const patch = await app.inject({ method: 'PATCH', url: '/users/bob', headers: bearer(token), payload: { disabled: 'true' } })
  t.equal(patch.statusCode, 400)
  t.same(patch.json(), { error: 'invalid_request', error_description: 'body.disabled must be boolean' })
  t.equal((await app.userService.get('bob')).disabled, false, 'nothing changed')

  const change = await app.inject({ method: 'PUT', url: '/users/me/password', headers: bearer(token), payload: { current_password: PASSWORD, new_password: 12345678901 } })
  t.equal(change.statusCode, 400)
  t.equal(change.json().error, 'invalid_request')

  const ok = await app.inject({ method: 'PATCH', url: '/users/bob', headers: bearer(token), payload: { disabled: true } })
  t.equal(ok.statusCode, 200, 'the declared type is accepted')
})

t.test('query strings are still coerced: ?limit=2 is the integer 2, ?limit=abc is a 400', async t => {
  const app = await build(t)
  await addUser(app, 'admin', { scopes: ['users:admin'] })
  for (const name of ['carol', 'dave', 'erin']) await addUser(app, name)
  const { access_token: token } = await login(app, 'admin')
  const page = await app.inject({ method: 'GET', url: '/users?limit=2', headers: bearer(token) })
  t.equal(page.statusCode, 200)
  t.equal(page.json().users.length, 2)
  const bad = await app.inject({ method: 'GET', url: '/users?limit=abc', headers: bearer(token) })
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().error, 'invalid_request')
})
