import t from 'tap'
import { hash } from '@node-rs/bcrypt'
import { hash as argon2Hash } from '@node-rs/argon2'
import { hashCost } from '../../src/passwords/password-hasher.js'
import { addUser, build, form, login, PASSWORD } from '../helper.js'

// A hash of another cost or scheme still logs in, and the login replaces it
// with one at BCRYPT_COST: a lower cost so that it stops being padded on every
// refusal, a higher one so that its refusals stop being slower than the others.
t.test('a successful login rehashes a stored hash of another cost or scheme at the configured cost', async t => {
  const app = await build(t, {}, config => { config.passwords.bcryptCost = 5 })
  const cases: Array<[string, string]> = [
    ['lower cost', await hash(PASSWORD, 4)],
    ['higher cost', await hash(PASSWORD, 6)],
    ['$2a$ scheme', (await hash(PASSWORD, 5)).replace(/^\$2b\$/, '$2a$')]
  ]
  for (const [name, stored] of cases) {
    const username = `user-${name.replace(/\W/g, '')}`
    await addUser(app, username)
    const user = await app.store.users.findByUsername(username)
    if (user === undefined) throw new Error('no user')
    await app.store.users.setPasswordHash(user.id, stored)

    const wrong = await app.inject({ method: 'POST', url: '/token', ...form({ username, password: 'wrong-password-42' }) })
    t.equal(wrong.statusCode, 401, `${name}: a wrong password is refused`)
    t.equal((await app.store.users.findByUsername(username))?.passwordHash, stored, `${name}: a refusal does not rehash`)

    await login(app, username)
    const rehashed = (await app.store.users.findByUsername(username))?.passwordHash ?? ''
    t.equal(hashCost(rehashed), 5, `${name}: rehashed at the configured cost`)
    t.match(rehashed, /^\$2b\$/, `${name}: as $2b$`)
    t.ok(await login(app, username), `${name}: the new hash logs in`)
  }
})

t.test('an argon2id hash logs in with PASSWORD_HASH=bcrypt and becomes bcrypt', async t => {
  const app = await build(t, {}, config => { config.passwords.bcryptCost = 5 })
  await addUser(app, 'argon-user')
  const user = await app.store.users.findByUsername('argon-user')
  if (user === undefined) throw new Error('no user')
  const stored = await argon2Hash(PASSWORD, { memoryCost: 1024, timeCost: 1, parallelism: 1 })
  await app.store.users.setPasswordHash(user.id, stored)

  const wrong = await app.inject({ method: 'POST', url: '/token', ...form({ username: 'argon-user', password: 'wrong-password-42' }) })
  t.equal(wrong.statusCode, 401)
  t.equal((await app.store.users.findByUsername('argon-user'))?.passwordHash, stored, 'a refusal does not rehash')
  t.ok(await login(app, 'argon-user'))
  t.match((await app.store.users.findByUsername('argon-user'))?.passwordHash, /^\$2b\$05\$/, 'rehashed as bcrypt')
  t.ok(await login(app, 'argon-user'), 'the new hash logs in')
})

t.test('a bcrypt hash logs in with PASSWORD_HASH=argon2id and becomes argon2id with the configured parameters', async t => {
  const app = await build(t, { PASSWORD_HASH: 'argon2id' })
  await addUser(app, 'bcrypt-user')
  const user = await app.store.users.findByUsername('bcrypt-user')
  if (user === undefined) throw new Error('no user')
  t.match(user.passwordHash, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/, 'new users get argon2id')
  await app.store.users.setPasswordHash(user.id, await hash(PASSWORD, 4))
  t.ok(await login(app, 'bcrypt-user'))
  t.match((await app.store.users.findByUsername('bcrypt-user'))?.passwordHash, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/)
  t.ok(await login(app, 'bcrypt-user'), 'the new hash logs in')
})
