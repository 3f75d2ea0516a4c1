import t from 'tap'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { addUser, build, form, login, PASSWORD } from '../helper.js'

t.test('password grant returns tokens with no-store headers', async t => {
  const app = await build(t)
  await addUser(app, 'alice', { scopes: ['users:admin', 'reports:read'] })
  const res = await app.inject({ method: 'POST', url: '/token', ...form({ username: 'Alice', password: PASSWORD }) })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['cache-control'], 'no-store')
  t.equal(res.headers.pragma, 'no-cache')
  const body = res.json()
  t.same(Object.keys(body).sort(), ['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type'])
  t.equal(body.token_type, 'bearer')
  t.equal(body.expires_in, 900)
  t.equal(body.scope, 'reports:read users:admin')
  t.match(body.refresh_token, /^[A-Za-z0-9_-]{43}$/)
})

t.test('login helper works', async t => {
  const app = await build(t)
  await addUser(app, 'bob')
  const tokens = await login(app, 'bob')
  t.ok(tokens.access_token)
})

const BAD_CREDENTIALS = { error: 'invalid_grant', error_description: 'Incorrect username or password' }
const post = async (app: Awaited<ReturnType<typeof build>>, fields: Record<string, string>) =>
  await app.inject({ method: 'POST', url: '/token', ...form(fields) })

t.test('the body must be a form', async t => {
  const app = await build(t)
  await addUser(app, 'alice')
  const json = await app.inject({ method: 'POST', url: '/token', payload: { username: 'alice', password: PASSWORD } })
  t.equal(json.statusCode, 415)
  t.equal(json.json().error, 'unsupported_media_type')
  const none = await app.inject({ method: 'POST', url: '/token', payload: 'username=alice', headers: { 'content-type': 'text/plain' } })
  t.equal(none.statusCode, 415)
  const charset = await app.inject({ method: 'POST', url: '/token', payload: new URLSearchParams({ username: 'alice', password: PASSWORD }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' } })
  t.equal(charset.statusCode, 200, 'a charset parameter is fine')
})

t.test('a missing grant_type means password; explicit password works too', async t => {
  const app = await build(t)
  await addUser(app, 'alice')
  t.equal((await post(app, { username: 'alice', password: PASSWORD })).statusCode, 200)
  t.equal((await post(app, { grant_type: 'password', username: 'alice', password: PASSWORD })).statusCode, 200)
})

t.test('request errors: missing, oversized, unknown and duplicate fields, unsupported grants', async t => {
  const app = await build(t)
  await addUser(app, 'alice')
  const expect400 = async (res: Awaited<ReturnType<typeof post>>, error: string, description: RegExp, what: string) => {
    t.equal(res.statusCode, 400, what)
    t.equal(res.json().error, error, what)
    t.match(res.json().error_description, description, what)
  }
  await expect400(await post(app, { password: PASSWORD }), 'invalid_request', /username/, 'missing username')
  await expect400(await post(app, { username: 'alice' }), 'invalid_request', /password/, 'missing password')
  await expect400(await post(app, { username: 'alice', password: 'x'.repeat(1025) }), 'invalid_request', /password/, 'oversized password')
  await expect400(await post(app, { username: 'a'.repeat(257), password: PASSWORD }), 'invalid_request', /username/, 'oversized username')
  await expect400(await post(app, { username: 'alice', password: PASSWORD, colour: 'blue' }), 'invalid_request', /colour/, 'unknown field')
  const duplicate = await app.inject({ method: 'POST', url: '/token', payload: `username=alice&username=bob&password=${PASSWORD}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  await expect400(duplicate, 'invalid_request', /more than once: username/, 'duplicate parameter')
  await expect400(await post(app, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code' }), 'unsupported_grant_type', /grant_type/, 'a grant type we do not issue')
  await expect400(await post(app, { grant_type: 'x'.repeat(100), username: 'alice', password: PASSWORD }), 'unsupported_grant_type', /grant_type/, 'a long unknown grant type')
  await expect400(await post(app, { grant_type: '' }), 'unsupported_grant_type', /grant_type/, 'an empty grant type')
  await expect400(await post(app, { grant_type: 'authorization_code', code: 'x' }), 'invalid_request', /code/, 'unknown field first')
  await expect400(await post(app, { grant_type: 'refresh_token' }), 'invalid_request', /refresh_token/, 'missing refresh_token')
})

t.test('wrong password and unknown user are indistinguishable', async t => {
  const app = await build(t)
  await addUser(app, 'alice')
  const wrong = await post(app, { username: 'alice', password: 'Wrong-Lamp-Orbit-42' })
  const unknown = await post(app, { username: 'nobody', password: 'Wrong-Lamp-Orbit-42' })
  const malformed = await post(app, { username: 'no such user!', password: 'Wrong-Lamp-Orbit-42' })
  for (const [name, res] of Object.entries({ wrong, unknown, malformed })) {
    t.equal(res.statusCode, 401, name)
    t.equal(res.headers['www-authenticate'], 'Bearer', name)
    t.same(res.json(), BAD_CREDENTIALS, name)
    t.equal(res.body, JSON.stringify(BAD_CREDENTIALS), `${name}: byte-identical body`)
  }
  const headerSet = (res: typeof wrong) => Object.fromEntries(Object.entries(res.headers).filter(([k]) => k !== 'date'))
  t.same(headerSet(unknown), headerSet(wrong), 'identical headers')
  t.same(headerSet(malformed), headerSet(wrong), 'identical headers')
})

t.test('a disabled user with the right password gets Inactive user', async t => {
  const app = await build(t)
  await addUser(app, 'dora', { disabled: true })
  const res = await post(app, { username: 'dora', password: PASSWORD })
  t.equal(res.statusCode, 400)
  t.same(res.json(), { error: 'invalid_grant', error_description: 'Inactive user' })
  const wrong = await post(app, { username: 'dora', password: 'Wrong-Lamp-Orbit-42' })
  t.equal(wrong.statusCode, 401, 'a wrong password reveals nothing about the account state')
})

t.test('scopes: none asked gives all, a subset gives the subset, another is invalid_scope', async t => {
  const app = await build(t)
  await addUser(app, 'alice', { scopes: ['reports:read', 'users:admin'] })
  const all = await post(app, { username: 'alice', password: PASSWORD })
  t.equal(all.json().scope, 'reports:read users:admin')
  t.equal(decodeJwt(all.json().access_token).scope, 'reports:read users:admin')
  const subset = await post(app, { username: 'alice', password: PASSWORD, scope: 'reports:read' })
  t.equal(subset.json().scope, 'reports:read')
  t.equal(decodeJwt(subset.json().access_token).scope, 'reports:read')
  const lacking = await post(app, { username: 'alice', password: PASSWORD, scope: 'reports:read billing:write' })
  t.equal(lacking.statusCode, 400)
  t.equal(lacking.json().error, 'invalid_scope')
  await addUser(app, 'bob')
  t.equal((await post(app, { username: 'bob', password: PASSWORD })).json().scope, '', 'a user without scopes gets an empty scope')
  t.equal((await post(app, { username: 'bob', password: PASSWORD, scope: 'users:admin' })).json().error, 'invalid_scope')
})

t.test('usernames are case-insensitive', async t => {
  const app = await build(t)
  await addUser(app, 'Alice')
  for (const name of ['alice', 'ALICE', 'aLiCe']) {
    const res = await post(app, { username: name, password: PASSWORD })
    t.equal(res.statusCode, 200, name)
    t.equal(decodeJwt(res.json().access_token).sub, 'alice', 'sub is canonical')
  }
})

t.test('access token claims (RFC 9068)', async t => {
  const app = await build(t, { PUBLIC_URL: 'https://auth.example.test', JWT_AUDIENCE: 'my-api' })
  await addUser(app, 'alice', { scopes: ['users:admin'] })
  const before = Math.floor(Date.now() / 1000)
  const first = await login(app, 'alice')
  const second = await login(app, 'alice')
  const header = decodeProtectedHeader(first.access_token)
  t.equal(header.typ, 'at+jwt')
  t.equal(header.alg, 'HS256')
  t.equal(header.kid, app.keys.current.kid)
  const claims = decodeJwt(first.access_token)
  t.equal(claims.iss, 'https://auth.example.test')
  t.equal(claims.aud, 'my-api')
  t.equal(claims.sub, 'alice')
  t.ok((claims.iat as number) >= before && (claims.iat as number) <= Math.ceil(Date.now() / 1000), 'iat is now')
  t.equal((claims.exp as number) - (claims.iat as number), 900)
  t.match(claims.jti, /^[0-9a-f-]{36}$/)
  t.not(claims.jti, decodeJwt(second.access_token).jti, 'jti is unique')
  t.equal(claims.scope, 'users:admin')
  t.type(claims.sid, 'string')
  t.not(claims.sid, decodeJwt(second.access_token).sid, 'each login is its own session')
  t.equal(claims.auth_time, claims.iat, 'auth_time is the password check')
  t.same(Object.keys(claims).sort(), ['aud', 'auth_time', 'exp', 'iat', 'iss', 'jti', 'scope', 'sid', 'sub'])
  t.equal(first.expires_in, 900)
})

t.test('login-failure limit: 429 with Retry-After', async t => {
  const app = await build(t, { LOGIN_MAX_FAILURES_PER_USER: '3' })
  await addUser(app, 'alice')
  for (let i = 0; i < 3; i++) t.equal((await post(app, { username: 'alice', password: 'Wrong-Lamp-Orbit-42' })).statusCode, 401)
  const locked = await post(app, { username: 'alice', password: PASSWORD })
  t.equal(locked.statusCode, 429, 'even the right password while locked')
  t.equal(locked.json().error, 'too_many_requests')
  t.ok(Number(locked.headers['retry-after']) > 0)
})

t.test('passwords: NFKC at login, no truncation match past 72 bytes', async t => {
  const app = await build(t)
  await addUser(app, 'alice', { password: '\uFB01nance-caf\u00E9-Orbit' })
  t.equal((await post(app, { username: 'alice', password: 'finance-cafe\u0301-Orbit' })).statusCode, 200, 'ligature and decomposed é log in')
  const max = 'a1B2c3D4'.repeat(9)
  await addUser(app, 'bob', { password: max })
  t.equal((await post(app, { username: 'bob', password: max })).statusCode, 200)
  const longer = await post(app, { username: 'bob', password: max + 'Z' })
  t.equal(longer.statusCode, 401, '73 bytes whose first 72 match do not log in')
  t.same(longer.json(), BAD_CREDENTIALS)
})

t.test('a hash of another cost is upgraded at the next successful login', async t => {
  const app = await build(t, {}, config => { config.passwords.bcryptCost = 5 })
  await addUser(app, 'alice')
  const { hash } = await import('@node-rs/bcrypt')
  const user = await app.userService.get('alice')
  await app.store.users.setPasswordHash(user.id, await hash(PASSWORD, 4))
  t.match((await app.userService.get('alice')).passwordHash, /^\$2b\$04\$/)
  t.equal((await post(app, { username: 'alice', password: 'wrong-password-99' })).statusCode, 401)
  t.match((await app.userService.get('alice')).passwordHash, /^\$2b\$04\$/, 'not on a failed login')
  await login(app, 'alice')
  const upgraded = (await app.userService.get('alice')).passwordHash
  t.match(upgraded, /^\$2b\$05\$/, 'cost 5 after login')
  t.equal(await app.passwordHasher.verify(PASSWORD, upgraded, '127.0.0.1'), true)
  await login(app, 'alice')
})

t.test('parallel guesses cannot slip past the per-user limit', async t => {
  const app = await build(t, { LOGIN_MAX_FAILURES_PER_USER: '3' })
  await addUser(app, 'alice')
  const results = await Promise.all(Array.from({ length: 12 }, async (_, i) => await post(app, { username: 'alice', password: `Wrong-guess-${i}` })))
  const statuses = results.map(r => r.statusCode)
  t.equal(statuses.filter(s => s === 401).length, 3, 'three guesses were checked')
  t.equal(statuses.filter(s => s === 429).length, 9, 'the rest were refused')
})

t.test('a burst of parallel guesses checks no more passwords than the limit, even with the right one among them', async t => {
  const app = await build(t, { LOGIN_MAX_FAILURES_PER_USER: '3' })
  await addUser(app, 'alice')
  const guesses = [...Array.from({ length: 11 }, (_, i) => `Wrong-guess-${i}`), PASSWORD]
  const results = await Promise.all(guesses.map(async password => await post(app, { username: 'alice', password })))
  t.equal(results.at(-1)?.statusCode, 429, 'the right password, sent after the limit was used up, is not even checked')
  t.equal(results.filter(r => r.statusCode === 200).length, 0, 'the burst logged nobody in')
})

t.test('a wrong scope after the right password does not count as a failure', async t => {
  const app = await build(t, { LOGIN_MAX_FAILURES_PER_USER: '3' })
  await addUser(app, 'alice')
  for (let i = 0; i < 4; i++) t.equal((await post(app, { username: 'alice', password: PASSWORD, scope: 'nope' })).statusCode, 400)
  t.equal((await post(app, { username: 'alice', password: PASSWORD })).statusCode, 200)
})

t.test('every 401 costs one bcrypt comparison, like a success (no user enumeration by timing); a 429 costs none', async t => {
  const app = await build(t, { LOGIN_MAX_FAILURES_PER_USER: '2' })
  await addUser(app, 'alice')
  await addUser(app, 'dora', { disabled: true })
  const original = app.passwordHasher.verify.bind(app.passwordHasher)
  const takeCalls = t.capture(app.passwordHasher, 'verify', original) // each call returns and clears the calls so far
  const targets: unknown[] = []
  const attempts: Array<[string, Record<string, string>, number]> = [
    ['success', { username: 'alice', password: PASSWORD }, 200],
    ['wrong password', { username: 'alice', password: 'Wrong-Lamp-Orbit-42' }, 401],
    ['unknown user', { username: 'nobody', password: 'Wrong-Lamp-Orbit-42' }, 401],
    ['malformed username', { username: 'no such user!', password: 'Wrong-Lamp-Orbit-42' }, 401],
    ['disabled user', { username: 'dora', password: PASSWORD }, 400],
    ['73-byte password', { username: 'alice', password: 'x'.repeat(73) }, 401]
  ]
  for (const [name, fields, status] of attempts) {
    t.equal((await post(app, fields)).statusCode, status, name)
    const calls = takeCalls()
    t.equal(calls.length, 1, `${name}: exactly one bcrypt comparison`)
    targets.push(calls[0]?.args[1])
  }
  // The 429 already says the attempt was refused, and is decided on counters alone (src/auth/password-check.ts).
  t.equal((await post(app, { username: 'alice', password: PASSWORD })).statusCode, 429, 'locked out')
  t.equal(takeCalls().length, 0, 'locked out: no bcrypt comparison, no hashing slot')
  t.equal(targets[2], undefined, 'an unknown user is compared against the dummy hash')
  t.equal(targets[3], undefined, 'so is a malformed username')
  t.match(targets[1], /^\$2b\$/, 'a known user against their hash')
})
