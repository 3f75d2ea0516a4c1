import { decodeJwt } from 'jose'
import t from 'tap'
import { addClient, addUser, basicAuth, bearer, build, form, login, me, refresh } from '../../helper.js'
import { enrolTotp, oathtoolCode, otpStep, passwordStep, STEP_MS } from '../../mfa.js'
import { redisForTest } from '../../scale/redis-prefix.js'
import { needOathtool } from '../../services.js'

const ENROL = '/users/me/mfa/totp'

t.test('enrolment: a secret, its otpauth URI and a QR code; active only once confirmed with a code', async t => {
  if (!await needOathtool(t)) return
  const app = await build(t)
  await addUser(app, 'alice')
  const tokens = await login(app, 'alice')
  const other = await login(app, 'alice')
  const started = await app.inject({ method: 'POST', url: ENROL, headers: bearer(tokens.access_token) })
  t.equal(started.statusCode, 200)
  t.equal(started.headers['cache-control'], 'no-store')
  const { secret, otpauth_uri: uri, qr_svg: svg } = started.json()
  t.match(secret, /^[A-Z2-7]{32}$/, '160 bits of base32')
  const parsed = new URL(uri)
  t.equal(parsed.protocol, 'otpauth:')
  t.equal(parsed.host, 'totp')
  t.equal(decodeURIComponent(parsed.pathname), '/gatehouse:alice')
  t.equal(parsed.searchParams.get('secret'), secret)
  t.equal(parsed.searchParams.get('issuer'), 'gatehouse')
  t.match(svg, /^<svg[\s\S]*<\/svg>\s*$/)

  const row = await app.store.handle.db.selectFrom('mfa_totp').selectAll().executeTakeFirstOrThrow()
  t.notOk(row.secret.includes(secret), 'the stored column is not the base32 secret')
  t.notOk(row.secret.includes(Buffer.from(secret).toString('base64url')), 'nor its encoding')
  t.match(row.secret, /^v1\./, 'but a sealed value')

  t.same((await app.inject({ method: 'GET', url: '/users/me/mfa', headers: bearer(tokens.access_token) })).json(), { totp: 'pending', recovery_codes_left: null })
  t.ok(await login(app, 'alice'), 'not active yet: the password alone still logs in')

  const wrong = await app.inject({ method: 'POST', url: `${ENROL}/confirm`, headers: bearer(tokens.access_token), payload: { code: oathtoolCode(secret, Date.now() - 5 * STEP_MS) } })
  t.equal(wrong.statusCode, 400)
  t.equal(wrong.json().error, 'invalid_request')

  const confirmed = await app.inject({ method: 'POST', url: `${ENROL}/confirm`, headers: bearer(tokens.access_token), payload: { code: oathtoolCode(secret) } })
  t.equal(confirmed.statusCode, 200)
  const codes: string[] = confirmed.json().recovery_codes
  t.equal(codes.length, 10)
  t.equal(new Set(codes).size, 10, 'all different')
  for (const code of codes) t.match(code, /^[0-9a-z]{4}(-[0-9a-z]{4}){3}$/)
  const stored = await app.store.handle.db.selectFrom('mfa_recovery_codes').select('hash').execute()
  t.equal(stored.length, 10)
  t.notOk(stored.some(r => codes.some(c => r.hash.includes(c) || r.hash.includes(c.replace(/-/g, '')))), 'stored only as hashes')

  t.equal((await me(app, other.access_token)).statusCode, 401, 'the other session was revoked')
  t.equal((await me(app, tokens.access_token)).statusCode, 200, 'the current one goes on')
  t.same((await app.inject({ method: 'GET', url: '/users/me/mfa', headers: bearer(tokens.access_token) })).json(), { totp: 'on', recovery_codes_left: 10 })
  t.equal((await app.inject({ method: 'POST', url: `${ENROL}/confirm`, headers: bearer(tokens.access_token), payload: { code: oathtoolCode(secret) } })).statusCode, 409)
  t.equal((await app.inject({ method: 'POST', url: ENROL, headers: bearer(tokens.access_token) })).statusCode, 409, 'no second enrolment while on')
})

t.test('confirming without an enrolment is invalid_request; enrolment needs a recent login', async t => {
  const app = await build(t, {}, config => { config.sessions.reauthMaxAgeSeconds = 60 })
  await addUser(app, 'alice')
  const tokens = await login(app, 'alice')
  const res = await app.inject({ method: 'POST', url: `${ENROL}/confirm`, headers: bearer(tokens.access_token), payload: { code: '123456' } })
  t.equal(res.statusCode, 400)
  t.equal(res.json().error, 'invalid_request')
  const user = await app.userService.get('alice')
  const stale = app.accessTokens.issue({ username: 'alice', scopes: user.scopes, sessionId: decodeJwt(tokens.access_token).sid as string, authTime: Math.floor(Date.now() / 1000) - 120 }).token
  for (const [method, url] of [['POST', ENROL], ['POST', `${ENROL}/confirm`], ['DELETE', ENROL], ['POST', '/users/me/mfa/recovery-codes']] as const) {
    const refused = await app.inject({ method, url, headers: bearer(stale), payload: { code: '123456' } })
    t.equal(refused.statusCode, 401, `${method} ${url}`)
    t.equal(refused.json().error, 'insufficient_user_authentication')
  }
})

t.test('login with TOTP: mfa_required, then the mfa-otp grant with a code computed by oathtool', async t => {
  if (!await needOathtool(t)) return
  const app = await build(t)
  await addUser(app, 'alice')
  const { secret } = await enrolTotp(app, (await login(app, 'alice')).access_token)

  const before = Math.floor(Date.now() / 1000)
  const res = await app.inject({ method: 'POST', url: '/token', ...form({ username: 'alice', password: 'Sturdy-Lamp-Orbit-42' }) })
  const after = Math.floor(Date.now() / 1000)
  t.equal(res.statusCode, 403)
  t.equal(res.headers['cache-control'], 'no-store')
  const body = res.json()
  t.same(Object.keys(body).sort(), ['error', 'error_description', 'mfa_token'], 'no tokens')
  t.equal(body.error, 'mfa_required')

  const wrongPassword = await app.inject({ method: 'POST', url: '/token', ...form({ username: 'alice', password: 'not-the-password' }) })
  t.equal(wrongPassword.statusCode, 401, 'a wrong password is refused as before, without an mfa_token')
  t.equal(wrongPassword.json().mfa_token, undefined)

  const done = await otpStep(app, body.mfa_token, { otp: oathtoolCode(secret, Date.now() + STEP_MS) })
  t.equal(done.statusCode, 200)
  t.equal(done.headers['cache-control'], 'no-store')
  const tokens = done.json()
  const claims = decodeJwt(tokens.access_token)
  t.same(claims.amr, ['pwd', 'otp'])
  t.equal(claims.acr, 'urn:gatehouse:acr:mfa')
  t.ok((claims.auth_time as number) >= before && (claims.auth_time as number) <= after, 'auth_time is the password check\'s time')
  t.equal((await me(app, tokens.access_token)).statusCode, 200)

  const refreshed = decodeJwt((await refresh(app, tokens.refresh_token)).json().access_token)
  t.same(refreshed.amr, ['pwd', 'otp'], 'a refreshed token keeps amr')
  t.equal(refreshed.auth_time, claims.auth_time)

  const again = await otpStep(app, body.mfa_token, { otp: oathtoolCode(secret, Date.now() + STEP_MS) })
  t.equal(again.statusCode, 400, 'an mfa_token is single use')
  t.equal(again.json().error, 'invalid_grant')
})

t.test('a code is accepted once; the next step\'s code (clock drift) works; an old one does not', async t => {
  if (!await needOathtool(t)) return
  const app = await build(t)
  await addUser(app, 'alice')
  const { secret } = await enrolTotp(app, (await login(app, 'alice')).access_token)
  // enrolTotp used the current step's code: it cannot log in.
  const replay = await otpStep(app, await passwordStep(app, 'alice'), { otp: oathtoolCode(secret) })
  t.equal(replay.statusCode, 400)
  t.equal(replay.json().error, 'invalid_grant')
  t.match(replay.json().error_description, /already used/)

  const tooOld = await otpStep(app, await passwordStep(app, 'alice'), { otp: oathtoolCode(secret, Date.now() - 3 * STEP_MS) })
  t.equal(tooOld.statusCode, 400)
  t.match(tooOld.json().error_description, /Incorrect/)

  const next = oathtoolCode(secret, Date.now() + STEP_MS)
  t.equal((await otpStep(app, await passwordStep(app, 'alice'), { otp: next })).statusCode, 200, 'one step ahead is accepted')
  t.equal((await otpStep(app, await passwordStep(app, 'alice'), { otp: next })).statusCode, 400, 'and only once')
})

for (const counters of ['memory', 'redis'] as const) {
  t.test(`an mfa_token takes at most 5 codes; wrong codes count toward the lockout [${counters}]`, async t => {
    if (!await needOathtool(t)) return
    const redis = counters === 'redis' ? await redisForTest(t) : {}
    if (redis === undefined) return
    const app = await build(t, { LOGIN_MAX_FAILURES_PER_USER: '7', ...redis })
    await addUser(app, 'alice')
    const { secret } = await enrolTotp(app, (await login(app, 'alice')).access_token)
    const mfaToken = await passwordStep(app, 'alice')
    const wrong = oathtoolCode(secret, Date.now() - 10 * STEP_MS)
    for (let i = 1; i <= 5; i++) {
      const res = await otpStep(app, mfaToken, { otp: wrong })
      t.equal(res.statusCode, 400, `wrong code ${i}`)
      t.equal(res.json().error, 'invalid_grant')
    }
    const dead = await otpStep(app, mfaToken, { otp: oathtoolCode(secret, Date.now() + STEP_MS) })
    t.equal(dead.statusCode, 400, 'the right code after 5 attempts: the mfa_token is dead')
    t.match(dead.json().error_description, /invalid, expired, used or out of attempts/)

    // A right password does not clear the failures of the code: a new mfa_token buys no new guesses.
    const second = await passwordStep(app, 'alice')
    t.equal((await otpStep(app, second, { otp: wrong })).statusCode, 400, 'failure 6')
    t.equal((await otpStep(app, second, { otp: wrong })).statusCode, 400, 'failure 7: locked out')
    const locked = await otpStep(app, second, { otp: oathtoolCode(secret, Date.now() + STEP_MS) })
    t.equal(locked.statusCode, 429, 'locked out, even with the right code')
    t.ok(Number(locked.headers['retry-after']) > 0)
    const password = await app.inject({ method: 'POST', url: '/token', ...form({ username: 'alice', password: 'Sturdy-Lamp-Orbit-42' }) })
    t.equal(password.statusCode, 429, 'and the password grant too: the same lockout')
  })
}

t.test('recovery codes: each works once; regenerating ends the old ones', async t => {
  if (!await needOathtool(t)) return
  const app = await build(t)
  await addUser(app, 'alice')
  const { recoveryCodes } = await enrolTotp(app, (await login(app, 'alice')).access_token)
  const [first, second] = recoveryCodes as [string, string]

  const both = await otpStep(app, await passwordStep(app, 'alice'), { otp: '123456', recovery_code: first })
  t.equal(both.statusCode, 400)
  t.equal(both.json().error, 'invalid_request', 'a code or a recovery code, not both')
  t.equal((await otpStep(app, await passwordStep(app, 'alice'), {})).json().error, 'invalid_request', 'nor neither')

  const used = await otpStep(app, await passwordStep(app, 'alice'), { recovery_code: first.toUpperCase().replace(/-/g, ' ') })
  t.equal(used.statusCode, 200, 'case, dashes and spaces do not matter')
  t.same(decodeJwt(used.json().access_token).amr, ['pwd', 'otp'])
  t.equal((await otpStep(app, await passwordStep(app, 'alice'), { recovery_code: first })).statusCode, 400, 'used once')
  const session = used.json().access_token
  t.same((await app.inject({ method: 'GET', url: '/users/me/mfa', headers: bearer(session) })).json(), { totp: 'on', recovery_codes_left: 9 })

  const fresh = await otpStep(app, await passwordStep(app, 'alice'), { recovery_code: second })
  const other = fresh.json().access_token
  const regenerated = await app.inject({ method: 'POST', url: '/users/me/mfa/recovery-codes', headers: bearer(session) })
  t.equal(regenerated.statusCode, 200)
  const renewed: string[] = regenerated.json().recovery_codes
  t.equal(renewed.length, 10)
  t.equal((await me(app, other)).statusCode, 401, 'the other session was revoked')
  t.equal((await otpStep(app, await passwordStep(app, 'alice'), { recovery_code: recoveryCodes[2] as string })).statusCode, 400, 'an old code stopped working')
  t.equal((await otpStep(app, await passwordStep(app, 'alice'), { recovery_code: renewed[0] as string })).statusCode, 200, 'a new one works')
})

t.test('turning TOTP off needs a current code or a recovery code, and revokes the other sessions', async t => {
  if (!await needOathtool(t)) return
  const app = await build(t)
  await addUser(app, 'alice')
  const { secret, recoveryCodes } = await enrolTotp(app, (await login(app, 'alice')).access_token)
  const session = (await otpStep(app, await passwordStep(app, 'alice'), { recovery_code: recoveryCodes[0] as string })).json().access_token
  const other = (await otpStep(app, await passwordStep(app, 'alice'), { recovery_code: recoveryCodes[1] as string })).json().access_token

  const wrong = await app.inject({ method: 'DELETE', url: ENROL, headers: bearer(session), payload: { code: oathtoolCode(secret, Date.now() - 10 * STEP_MS) } })
  t.equal(wrong.statusCode, 403)
  t.equal(wrong.json().error, 'access_denied')
  t.equal((await app.inject({ method: 'DELETE', url: ENROL, headers: bearer(session), payload: {} })).statusCode, 400, 'a proof is required')
  const off = await app.inject({ method: 'DELETE', url: ENROL, headers: bearer(session), payload: { code: oathtoolCode(secret, Date.now() + STEP_MS) } })
  t.equal(off.statusCode, 204)
  t.equal((await me(app, other)).statusCode, 401, 'the other session was revoked')
  t.equal((await me(app, session)).statusCode, 200)
  t.ok(await login(app, 'alice'), 'the password alone logs in again')
  t.equal(await app.store.handle.db.selectFrom('mfa_recovery_codes').select('hash').executeTakeFirst(), undefined, 'the recovery codes are gone')
  t.equal((await app.inject({ method: 'DELETE', url: ENROL, headers: bearer(session), payload: { code: '123456' } })).statusCode, 404, 'nothing to turn off')
  t.equal((await app.inject({ method: 'POST', url: '/users/me/mfa/recovery-codes', headers: bearer(session) })).statusCode, 404)
})

t.test('an admin resets a user\'s second factor (PATCH mfa: null), which revokes the user\'s sessions', async t => {
  if (!await needOathtool(t)) return
  const app = await build(t)
  await addUser(app, 'root', { scopes: ['users:admin'] })
  await addUser(app, 'alice')
  const { recoveryCodes } = await enrolTotp(app, (await login(app, 'alice')).access_token)
  const alice = (await otpStep(app, await passwordStep(app, 'alice'), { recovery_code: recoveryCodes[0] as string })).json().access_token
  const admin = bearer((await login(app, 'root')).access_token)
  const reset = await app.inject({ method: 'PATCH', url: '/users/alice', headers: admin, payload: { mfa: null } })
  t.equal(reset.statusCode, 200)
  t.equal(reset.json().username, 'alice')
  t.equal((await me(app, alice)).statusCode, 401, 'every session of the user was revoked')
  t.ok(await login(app, 'alice'), 'the password alone logs in')
  t.equal((await app.inject({ method: 'PATCH', url: '/users/alice', headers: admin, payload: { mfa: 'off' } })).statusCode, 400, 'only null')
  t.equal((await app.inject({ method: 'PATCH', url: '/users/alice', headers: admin, payload: { mfa: null, full_name: 'Alice' } })).json().full_name, 'Alice', 'with other changes')
})

t.test('ADMIN_REQUIRES_MFA: admin routes need a token whose login had a second factor (RFC 9470 acr_values)', async t => {
  if (!await needOathtool(t)) return
  const app = await build(t, { ADMIN_REQUIRES_MFA: 'true' })
  await addUser(app, 'root', { scopes: ['users:admin', 'clients:admin'] })
  const passwordOnly = (await login(app, 'root')).access_token
  for (const url of ['/users', '/clients']) {
    const res = await app.inject({ method: 'GET', url, headers: bearer(passwordOnly) })
    t.equal(res.statusCode, 401, url)
    t.equal(res.json().error, 'insufficient_user_authentication')
    t.match(res.headers['www-authenticate'], /^Bearer error="insufficient_user_authentication", .*acr_values="urn:gatehouse:acr:mfa"$/)
  }
  t.equal((await me(app, passwordOnly)).statusCode, 200, 'other routes take it')
  const { secret } = await enrolTotp(app, passwordOnly)
  const strong = (await otpStep(app, await passwordStep(app, 'root'), { otp: oathtoolCode(secret, Date.now() + STEP_MS) })).json()
  t.equal((await app.inject({ method: 'GET', url: '/users', headers: bearer(strong.access_token) })).statusCode, 200)
  const refreshed = (await refresh(app, strong.refresh_token)).json().access_token
  t.equal((await app.inject({ method: 'GET', url: '/clients', headers: bearer(refreshed) })).statusCode, 200, 'a refreshed token still counts')
})

t.test('the mfa_token is bound to the client of the password step', async t => {
  if (!await needOathtool(t)) return
  const app = await build(t)
  await addUser(app, 'alice')
  await app.store.clients.create({ id: 'spa', name: 'spa', secretHash: null, grantTypes: ['password', 'refresh_token'], scopes: [], accessTokenTtlSeconds: null, disabled: false })
  const { secret } = await enrolTotp(app, (await login(app, 'alice')).access_token)
  const mfaToken = await passwordStep(app, 'alice', undefined, { client_id: 'spa' })
  const elsewhere = await otpStep(app, mfaToken, { otp: oathtoolCode(secret, Date.now() + STEP_MS) })
  t.equal(elsewhere.statusCode, 400)
  t.match(elsewhere.json().error_description, /not issued to this client/)
  const through = await otpStep(app, mfaToken, { otp: oathtoolCode(secret, Date.now() + STEP_MS) }, { client_id: 'spa' })
  t.equal(through.statusCode, 200)
  t.equal(decodeJwt(through.json().access_token).client_id, 'spa')
})

t.test('introspection tells a resource server how the login went (amr, acr)', async t => {
  if (!await needOathtool(t)) return
  const app = await build(t)
  await addUser(app, 'alice')
  const secret = await addClient(app, 'rs') ?? ''
  const plain = await login(app, 'alice')
  const { recoveryCodes } = await enrolTotp(app, plain.access_token)
  const strong = (await otpStep(app, await passwordStep(app, 'alice'), { recovery_code: recoveryCodes[0] as string })).json()
  const introspect = async (token: string) => (await app.inject({ method: 'POST', url: '/introspect', headers: { ...form({}).headers, authorization: basicAuth('rs', secret) }, payload: new URLSearchParams({ token }).toString() })).json()
  t.match(await introspect(strong.access_token), { active: true, amr: ['pwd', 'otp'], acr: 'urn:gatehouse:acr:mfa' })
  const weak = await introspect(plain.access_token)
  t.equal(weak.active, true)
  t.equal(weak.amr, undefined, 'a password-only login has no amr')
  t.equal(weak.acr, undefined)
})

t.test('the metadata lists the mfa-otp grant', async t => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })
  t.ok(res.json().grant_types_supported.includes('urn:gatehouse:params:oauth:grant-type:mfa-otp'))
})
