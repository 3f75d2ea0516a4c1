import t from 'tap'
import { addUser, bearer, build, form, login, me, PASSWORD, refresh } from '../../helper.js'

const NEW_PASSWORD = 'New-Orbit-Lamp-77'

const changePassword = async (app: Awaited<ReturnType<typeof build>>, token: string, body: Record<string, string>) =>
  await app.inject({ method: 'PUT', url: '/users/me/password', headers: bearer(token), payload: body })

t.test('PUT /users/me/password: 204, other sessions revoked, current kept', async t => {
  const app = await build(t)
  await addUser(app, 'alice')
  const current = await login(app, 'alice')
  const other = await login(app, 'alice')
  const res = await changePassword(app, current.access_token, { current_password: PASSWORD, new_password: NEW_PASSWORD })
  t.equal(res.statusCode, 204)
  t.equal((await me(app, current.access_token)).statusCode, 200, 'the current session is kept')
  t.equal((await refresh(app, current.refresh_token)).statusCode, 200)
  t.equal((await me(app, other.access_token)).statusCode, 401, 'other sessions are revoked at once')
  t.equal((await refresh(app, other.refresh_token)).json().error, 'invalid_grant')

  const old = await app.inject({ method: 'POST', url: '/token', ...form({ username: 'alice', password: PASSWORD }) })
  t.equal(old.statusCode, 401, 'the old password no longer works')
  t.equal((await login(app, 'alice', NEW_PASSWORD)).token_type, 'bearer', 'the new one does')
})

t.test('wrong current password: 403 access_denied, nothing changes', async t => {
  const app = await build(t)
  await addUser(app, 'alice')
  const current = await login(app, 'alice')
  const other = await login(app, 'alice')
  const res = await changePassword(app, current.access_token, { current_password: 'Wrong-Lamp-Orbit-42', new_password: NEW_PASSWORD })
  t.equal(res.statusCode, 403)
  t.equal(res.json().error, 'access_denied')
  t.equal((await me(app, other.access_token)).statusCode, 200)
  t.ok(await login(app, 'alice'), 'the old password still works')
})

t.test('policy failures: 400 invalid_request naming the rule', async t => {
  const app = await build(t)
  await addUser(app, 'alice')
  const { access_token: token } = await login(app, 'alice')
  const cases: Record<string, RegExp> = {
    short: /at least 8 bytes/,
    ['x'.repeat(73)]: /at most 72 bytes/,
    password1: /too common/,
  }
  for (const [password, rule] of Object.entries(cases)) {
    const res = await changePassword(app, token, { current_password: PASSWORD, new_password: password })
    t.equal(res.statusCode, 400, password.slice(0, 12))
    t.equal(res.json().error, 'invalid_request')
    t.match(res.json().error_description, rule)
  }
  await app.userService.register({ username: 'alice-the-admin', password: PASSWORD })
  const named = await login(app, 'alice-the-admin')
  const same = await changePassword(app, named.access_token, { current_password: PASSWORD, new_password: 'Alice-The-Admin' })
  t.equal(same.statusCode, 400)
  t.equal(same.json().error_description, 'Password must not be the username')
  t.ok(await login(app, 'alice'), 'the password is unchanged')
})

t.test('the body is strict JSON', async t => {
  const app = await build(t)
  await addUser(app, 'alice')
  const { access_token: token } = await login(app, 'alice')
  const extra = await changePassword(app, token, { current_password: PASSWORD, new_password: NEW_PASSWORD, admin: 'yes' })
  t.equal(extra.statusCode, 400)
  t.equal(extra.json().error, 'invalid_request')
  const missing = await changePassword(app, token, { new_password: NEW_PASSWORD })
  t.equal(missing.statusCode, 400)
  t.equal((await app.inject({ method: 'PUT', url: '/users/me/password', headers: bearer(token) })).statusCode, 400, 'no body')
})
