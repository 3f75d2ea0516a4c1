import t from 'tap'
import type { Config } from '../../../src/config.js'
import type { FastifyInstance } from 'fastify'
import { addUser, bearer, build, form, login, me } from '../../helper.js'
import { isBcrypt, johndoe, PYTHON_PASSWORDS, PYTHON_USERS, TUTORIAL_HASHES } from '../../fixtures/python-users.js'

// The configured cost differs from every fixture's, so each login must re-hash.
/** A configured cost (5) that differs from every fixture's. */
const COST_5 = (config: Config) => { config.passwords.bcryptCost = 5 }

async function admin (app: FastifyInstance) {
  await addUser(app, 'root', { scopes: ['users:admin'] })
  return bearer((await login(app, 'root')).access_token)
}

async function importUsers (app: FastifyInstance, headers: Record<string, string>, payload: unknown, query = '') {
  return await app.inject({ method: 'POST', url: `/users/import${query}`, headers, payload: payload as object })
}

async function tryLogin (app: FastifyInstance, username: string, password: string) {
  return await app.inject({ method: 'POST', url: '/token', ...form({ username, password }) })
}

t.test('POST /users/import needs users:admin (a recent login: step-up.test.ts)', async t => {
  const app = await build(t, {}, COST_5)
  await addUser(app, 'alice')
  const body = [johndoe(TUTORIAL_HASHES.bcrypt)]
  t.equal((await importUsers(app, {}, body)).statusCode, 401)
  t.equal((await importUsers(app, bearer((await login(app, 'alice')).access_token), body)).statusCode, 403)
  t.equal((await app.inject({ method: 'GET', url: '/users/johndoe', headers: await admin(app) })).statusCode, 404, 'nothing was imported')
})

t.test('the FastAPI tutorial\'s johndoe (bcrypt hash) imports and logs in with "secret"; the hash becomes the configured one', async t => {
  const app = await build(t, {}, COST_5)
  const headers = await admin(app)
  const res = await importUsers(app, headers, [johndoe(TUTORIAL_HASHES.bcrypt)])
  t.equal(res.statusCode, 200, res.body)
  t.same(res.json(), { created: 1, updated: 0, skipped: 0, revoked_sessions: 0, dry_run: false, errors: [] })
  t.equal((await tryLogin(app, 'johndoe', 'wrong')).statusCode, 401)
  const tokens = await login(app, 'johndoe', 'secret')
  t.equal(tokens.token_type, 'bearer')
  t.match((await me(app, tokens.access_token)).json(), { username: 'johndoe', full_name: 'John Doe', email: 'johndoe@example.com' })
  t.match((await app.store.users.findByUsername('johndoe'))?.passwordHash, /^\$2b\$05\$/)
})

t.test('passlib\'s bcrypt hashes ($2a$, $2b$ at costs 4 and 12, $2y$) log in over HTTP with their passwords, then are re-hashed', async t => {
  const app = await build(t, {}, COST_5)
  const headers = await admin(app)
  const users = PYTHON_USERS.filter(isBcrypt)
  t.same(users.map(u => u.hashed_password.slice(0, 7)).sort(), ['$2a$04$', '$2b$04$', '$2b$12$', '$2y$04$'])
  const res = await importUsers(app, headers, users)
  t.equal(res.statusCode, 200, res.body)
  t.equal(res.json().created, users.length)
  for (const user of users) {
    const password = PYTHON_PASSWORDS[user.username] ?? ''
    t.equal((await tryLogin(app, user.username, `${password}x`)).statusCode, 401, `${user.username}: a wrong password is refused`)
    t.equal((await tryLogin(app, user.username, password)).statusCode, 200, `${user.username} logs in`)
    t.match((await app.store.users.findByUsername(user.username))?.passwordHash, /^\$2b\$05\$/, `${user.username}: now $2b$ at BCRYPT_COST`)
    t.equal((await tryLogin(app, user.username, password)).statusCode, 200, `${user.username} logs in with the new hash`)
  }
})

t.test('a bad record: 400 invalid_request with the report, nothing imported; dry_run; on_conflict=update revokes sessions of a changed hash', async t => {
  const app = await build(t, {}, COST_5)
  const headers = await admin(app)
  const bad = await importUsers(app, headers, [johndoe(TUTORIAL_HASHES.bcrypt), { ...johndoe('{SSHA}abc'), username: 'jane' }, johndoe(TUTORIAL_HASHES.bcrypt)])
  t.equal(bad.statusCode, 400)
  t.match(bad.json(), {
    error: 'invalid_request',
    error_description: '2 bad record(s): nothing was imported',
    report: { created: 0, errors: [{ line: 2, username: 'jane', error: /unknown hash format/ }, { line: 3, username: 'johndoe', error: /duplicate/ }] }
  })
  t.equal(await app.store.users.findByUsername('johndoe'), undefined)

  const dry = await importUsers(app, headers, [johndoe(TUTORIAL_HASHES.bcrypt)], '?dry_run=true')
  t.match(dry.json(), { created: 1, dry_run: true })
  t.equal(await app.store.users.findByUsername('johndoe'), undefined, 'dry run wrote nothing')

  t.equal((await importUsers(app, headers, [johndoe(TUTORIAL_HASHES.bcrypt)])).statusCode, 200)
  const session = await login(app, 'johndoe', 'secret')
  t.equal((await me(app, session.access_token)).statusCode, 200)
  const conflict = await importUsers(app, headers, [johndoe(TUTORIAL_HASHES.argon2id)])
  t.equal(conflict.statusCode, 400, 'on_conflict defaults to fail')
  t.match(conflict.json(), { report: { errors: [{ line: 1, username: 'johndoe', error: /already exists/ }] } })
  t.match((await importUsers(app, headers, [johndoe(TUTORIAL_HASHES.argon2id)], '?on_conflict=skip')).json(), { skipped: 1 })
  t.equal((await me(app, session.access_token)).statusCode, 200, 'skip changed nothing')
  const updated = await importUsers(app, headers, [johndoe(TUTORIAL_HASHES.argon2id)], '?on_conflict=update')
  t.match(updated.json(), { updated: 1, revoked_sessions: 1 })
  t.equal((await me(app, session.access_token)).statusCode, 401, 'a changed hash revoked the user\'s sessions')
  t.equal((await app.store.users.findByUsername('johndoe'))?.passwordHash, TUTORIAL_HASHES.argon2id)
})

t.test('the body is a JSON array of at most 1,000 records', async t => {
  const app = await build(t, {}, COST_5)
  const headers = await admin(app)
  const many = Array.from({ length: 1001 }, (_, i) => ({ ...johndoe(TUTORIAL_HASHES.bcrypt), username: `user${i}` }))
  const res = await importUsers(app, headers, many)
  t.equal(res.statusCode, 400)
  t.match(res.json(), { error: 'invalid_request', error_description: /1000/ })
  t.equal((await importUsers(app, headers, { username: 'x' })).statusCode, 400)
  t.equal((await importUsers(app, headers, many.slice(0, 1000))).json().created, 1000)
})
