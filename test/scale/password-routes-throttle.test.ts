import type { FastifyInstance } from 'fastify'
import { addUser, bearer, build, form, login, PASSWORD } from '../helper.js'
import { eachCounterStore } from './counter-stores.js'

// Every route that checks a password is a login attempt: same counters, same lockout.

const LIMITS = { LOGIN_MAX_FAILURES_PER_USER: '3', LOGIN_MAX_FAILURES_PER_IP: '50', LOGIN_FAILURE_WINDOW_SECONDS: '60' }
const NEW_PASSWORD = 'Another-Sturdy-Lamp-77'

const token = async (app: FastifyInstance, username: string, password: string) =>
  await app.inject({ method: 'POST', url: '/token', ...form({ username, password }) })
const changePassword = async (app: FastifyInstance, accessToken: string, current: string) =>
  await app.inject({ method: 'PUT', url: '/users/me/password', headers: bearer(accessToken), payload: { current_password: current, new_password: NEW_PASSWORD } })

eachCounterStore('PUT /users/me/password: wrong current passwords lock the user out, for logins too', async (t, env) => {
  const app = await build(t, { ...env, ...LIMITS })
  await addUser(app, 'alice')
  const { access_token: accessToken } = await login(app, 'alice')
  for (let i = 1; i <= 3; i++) t.equal((await changePassword(app, accessToken, `wrong-${i}`)).statusCode, 403, `wrong current password ${i}: 403`)
  const locked = await changePassword(app, accessToken, 'wrong-4')
  t.equal(locked.statusCode, 429, 'then 429')
  t.same(locked.json(), { error: 'too_many_requests', error_description: 'Too many failed attempts, try again later' })
  t.ok(Number(locked.headers['retry-after']) >= 1, 'with Retry-After')
  t.equal((await changePassword(app, accessToken, PASSWORD)).statusCode, 429, 'the right current password is refused while locked out')
  t.equal((await token(app, 'alice', PASSWORD)).statusCode, 429, 'and so is a login')
  t.equal((await token(app, 'alice', NEW_PASSWORD)).statusCode, 429, 'the password was not changed')
})

eachCounterStore('PUT /users/me/password: a user locked out by failed logins cannot change the password', async (t, env) => {
  const app = await build(t, { ...env, ...LIMITS })
  await addUser(app, 'alice')
  const { access_token: accessToken } = await login(app, 'alice')
  for (let i = 0; i < 3; i++) t.equal((await token(app, 'alice', 'wrong')).statusCode, 401)
  t.equal((await changePassword(app, accessToken, PASSWORD)).statusCode, 429, 'the stolen token cannot use the password check as an oracle')
})

eachCounterStore('a right current password clears the count; an admin password reset lifts a lockout', async (t, env) => {
  const app = await build(t, { ...env, ...LIMITS })
  await addUser(app, 'root', { scopes: ['users:admin'] })
  await addUser(app, 'alice')
  const admin = bearer((await login(app, 'root')).access_token)
  const { access_token: accessToken } = await login(app, 'alice')
  for (let i = 0; i < 2; i++) t.equal((await changePassword(app, accessToken, 'wrong')).statusCode, 403)
  t.equal((await changePassword(app, accessToken, PASSWORD)).statusCode, 204, 'two failures then the right one')
  for (let i = 0; i < 3; i++) t.equal((await token(app, 'alice', 'wrong')).statusCode, 401, 'the count started again')
  t.equal((await token(app, 'alice', NEW_PASSWORD)).statusCode, 429)

  const reset = await app.inject({ method: 'PATCH', url: '/users/alice', headers: admin, payload: { password: 'Reset-By-Admin-Lamp-5' } })
  t.equal(reset.statusCode, 200, 'PATCH with a password')
  t.equal((await token(app, 'alice', 'Reset-By-Admin-Lamp-5')).statusCode, 200, 'the reset lifted the lockout')
  t.equal((await token(app, 'alice', NEW_PASSWORD)).statusCode, 401, 'the old password is gone')
  t.equal((await app.inject({ method: 'PATCH', url: '/users/alice', headers: admin, payload: { password: 'alice' } })).statusCode, 400, 'the policy applies')
})
