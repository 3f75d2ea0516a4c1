import t from 'tap'
import type { Config } from '../../../src/config.js'
import { addUser, bearer, build, form, login } from '../../helper.js'
import { isBcrypt, johndoe, PYTHON_PASSWORDS, PYTHON_USERS, TUTORIAL_HASHES } from '../../fixtures/python-users.js'

// Needs the Argon2 verifier (issue 15 item 1): until it is merged, these logins fail.
/** A configured cost (5) that differs from every fixture's. */
const COST_5 = (config: Config) => { config.passwords.bcryptCost = 5 }

t.test('argon2-cffi\'s argon2id and argon2i hashes (small and pwdlib\'s parameters) and the tutorial\'s johndoe log in, then become the configured scheme', async t => {
  const app = await build(t, {}, COST_5)
  await addUser(app, 'root', { scopes: ['users:admin'] })
  const headers = bearer((await login(app, 'root')).access_token)
  const users = [...PYTHON_USERS.filter(u => !isBcrypt(u)), johndoe(TUTORIAL_HASHES.argon2id)]
  t.same(users.map(u => u.hashed_password.split('$')[1]), ['argon2id', 'argon2i', 'argon2id', 'argon2id'])
  const res = await app.inject({ method: 'POST', url: '/users/import', headers, payload: users })
  t.equal(res.statusCode, 200, res.body)
  t.equal(res.json().created, users.length)
  for (const user of users) {
    const password = PYTHON_PASSWORDS[user.username] ?? 'secret'
    t.equal((await app.inject({ method: 'POST', url: '/token', ...form({ username: user.username, password: `${password}x` }) })).statusCode, 401, `${user.username}: a wrong password is refused`)
    const ok = await app.inject({ method: 'POST', url: '/token', ...form({ username: user.username, password }) })
    t.equal(ok.statusCode, 200, `${user.username} logs in`)
    t.match((await app.store.users.findByUsername(user.username))?.passwordHash, /^\$2b\$05\$/, `${user.username}: re-hashed to the configured scheme`)
  }
})
