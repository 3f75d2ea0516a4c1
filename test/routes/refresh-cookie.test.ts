import t from 'tap'
import { addUser, bearer, build, form, login, me, PASSWORD } from '../helper.js'

const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

function cookiesOf (res: { headers: Record<string, unknown> }): string[] {
  const raw = res.headers['set-cookie']
  return raw === undefined ? [] : Array.isArray(raw) ? raw as string[] : [raw as string]
}

/** A login from a script on this service's own page: X-Requested-With, and same-origin. */
const browserLogin = async (app: Awaited<ReturnType<typeof build>>, headers: Record<string, string> = {}) =>
  await app.inject({ method: 'POST', url: '/token', payload: new URLSearchParams({ username: 'alice', password: PASSWORD }).toString(), headers: { ...FORM, 'x-requested-with': 'fetch', ...headers } })

async function setup (t: Parameters<typeof build>[0], env: Record<string, string> = {}) {
  const app = await build(t, { REFRESH_TOKEN_COOKIE: 'true', PUBLIC_URL: 'https://auth.example.test', ...env })
  await addUser(app, 'alice')
  const res = await browserLogin(app)
  return { app, res, tokens: res.json() }
}

const refreshWithCookie = async (app: Awaited<ReturnType<typeof build>>, token: string, headers: Record<string, string> = {}) =>
  await app.inject({ method: 'POST', url: '/token', payload: 'grant_type=refresh_token', headers: { ...FORM, cookie: `gatehouse_refresh=${token}`, ...headers } })

t.test('login sets the refresh cookie: HttpOnly, Secure, SameSite=Strict, on /token and /logout', async t => {
  const { res, tokens } = await setup(t)
  const cookies = cookiesOf(res)
  t.equal(cookies.length, 2)
  const paths = cookies.map(c => /Path=([^;]+)/.exec(c)?.[1]).sort()
  t.same(paths, ['/logout', '/token'])
  for (const cookie of cookies) {
    t.ok(cookie.startsWith(`gatehouse_refresh=${tokens.refresh_token as string};`), 'the refresh token')
    t.match(cookie, /; HttpOnly/)
    t.match(cookie, /; Secure/)
    t.match(cookie, /; SameSite=Strict/)
    t.notMatch(cookie, /Domain=/, 'host-only')
  }
})

t.test('no cookie unless REFRESH_TOKEN_COOKIE=true', async t => {
  const app = await build(t)
  await addUser(app, 'alice')
  const res = await app.inject({ method: 'POST', url: '/token', ...form({ username: 'alice', password: PASSWORD }) })
  t.same(cookiesOf(res), [])
  const viaCookie = await refreshWithCookie(app, res.json().refresh_token, { 'x-requested-with': 'fetch' })
  t.equal(viaCookie.statusCode, 400, 'the cookie is ignored')
  t.equal(viaCookie.json().error, 'invalid_request')
})

t.test('refresh with the cookie and X-Requested-With works and rotates the cookie', async t => {
  const { app, tokens } = await setup(t)
  const res = await refreshWithCookie(app, tokens.refresh_token, { 'x-requested-with': 'XMLHttpRequest', origin: 'https://auth.example.test', 'sec-fetch-site': 'same-origin' })
  t.equal(res.statusCode, 200)
  const next = res.json()
  t.not(next.refresh_token, tokens.refresh_token)
  t.ok(cookiesOf(res).every(c => c.startsWith(`gatehouse_refresh=${next.refresh_token as string};`)), 'the cookie carries the new token')
  t.equal((await me(app, next.access_token)).statusCode, 200)
})

t.test('CSRF: cross-site attempts are refused and consume nothing', async t => {
  const { app, tokens } = await setup(t, { CORS_ORIGINS: 'https://app.example.test' })
  const attacks: Record<string, Record<string, string>> = {
    'a cross-site form post (no header)': { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    'no X-Requested-With': {},
    'a wrong Origin': { 'x-requested-with': 'fetch', origin: 'https://evil.example' },
    'Origin null': { 'x-requested-with': 'fetch', origin: 'null' },
    'Sec-Fetch-Site: cross-site': { 'x-requested-with': 'fetch', 'sec-fetch-site': 'cross-site' }
  }
  for (const [name, headers] of Object.entries(attacks)) {
    const res = await refreshWithCookie(app, tokens.refresh_token, headers)
    t.equal(res.statusCode, 403, name)
    t.equal(res.json().error, 'access_denied', name)
    t.same(cookiesOf(res), [], `${name}: no new cookie`)
  }
  const listed = await refreshWithCookie(app, tokens.refresh_token, { 'x-requested-with': 'fetch', origin: 'https://app.example.test', 'sec-fetch-site': 'same-site' })
  t.equal(listed.statusCode, 200, 'a CORS-listed origin may use it, and the refused attempts consumed nothing')
})

t.test('the body parameter still works without the CSRF header (not a cookie request)', async t => {
  const { app, tokens } = await setup(t)
  const res = await app.inject({ method: 'POST', url: '/token', ...form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }) })
  t.equal(res.statusCode, 200)
})

t.test('logout clears the cookie on both paths', async t => {
  const { app, tokens } = await setup(t)
  const res = await app.inject({ method: 'POST', url: '/logout', headers: { ...bearer(tokens.access_token), 'x-requested-with': 'fetch' } })
  t.equal(res.statusCode, 204)
  const cookies = cookiesOf(res)
  t.same(cookies.map(c => /Path=([^;]+)/.exec(c)?.[1]).sort(), ['/logout', '/token'])
  for (const cookie of cookies) t.match(cookie, /^gatehouse_refresh=;.*(Expires=Thu, 01 Jan 1970|Max-Age=0)/)
  const after = await refreshWithCookie(app, tokens.refresh_token, { 'x-requested-with': 'fetch' })
  t.equal(after.statusCode, 400)
  t.equal(after.json().error, 'invalid_grant')
})

t.test('login through the helper still works with cookies on', async t => {
  const { app } = await setup(t)
  t.ok(await login(app, 'alice'))
})

const sessionCount = async (app: Awaited<ReturnType<typeof build>>): Promise<number> => {
  const tokens = await login(app, 'alice')
  const res = await app.inject({ method: 'GET', url: '/users/me/sessions', headers: bearer(tokens.access_token) })
  return (res.json() as unknown[]).length - 1
}

const CROSS_SITE: Record<string, Record<string, string>> = {
  'a cross-site form post': { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
  'a foreign Origin with X-Requested-With': { origin: 'https://evil.example', 'x-requested-with': 'fetch' },
  'Origin null': { origin: 'null' },
  'Sec-Fetch-Site: cross-site without Origin': { 'sec-fetch-site': 'cross-site', 'x-requested-with': 'fetch' }
}

t.test('login CSRF: a cross-site login is refused before any work: 403, no cookie, no session', async t => {
  const app = await build(t, { REFRESH_TOKEN_COOKIE: 'true', PUBLIC_URL: 'https://auth.example.test', CORS_ORIGINS: 'https://app.example.test' })
  await addUser(app, 'alice')
  for (const [name, headers] of Object.entries(CROSS_SITE)) {
    const res = await browserLogin(app, headers)
    t.equal(res.statusCode, 403, name)
    t.equal(res.json().error, 'access_denied', name)
    t.same(cookiesOf(res), [], `${name}: no Set-Cookie`)
  }
  t.equal(await sessionCount(app), 0, 'no session was created by a refused login')
  for (const origin of ['https://auth.example.test', 'https://app.example.test']) {
    const res = await browserLogin(app, { origin, 'sec-fetch-site': 'same-site' })
    t.equal(res.statusCode, 200, `${origin} may log in`)
    t.equal(cookiesOf(res).length, 2, `${origin} gets the cookie`)
  }
  const noOrigin = await browserLogin(app)
  t.equal(noOrigin.statusCode, 200, 'no Origin passes, as for reading the cookie')
  t.equal(cookiesOf(noOrigin).length, 2)
})

t.test('the cookie is set only for a request that sends X-Requested-With; others get the body only', async t => {
  const app = await build(t, { REFRESH_TOKEN_COOKIE: 'true' })
  await addUser(app, 'alice')
  const res = await app.inject({ method: 'POST', url: '/token', ...form({ username: 'alice', password: PASSWORD }) })
  t.equal(res.statusCode, 200)
  t.type(res.json().refresh_token, 'string', 'the refresh token is in the body')
  t.same(cookiesOf(res), [], 'no cookie: a plain form post cannot plant one')
  const refreshed = await app.inject({ method: 'POST', url: '/token', ...form({ grant_type: 'refresh_token', refresh_token: res.json().refresh_token }) })
  t.equal(refreshed.statusCode, 200)
  t.same(cookiesOf(refreshed), [], 'nor on a refresh without the header')
})

t.test('a cross-site /revoke or /logout is refused: 403, the cookie is not cleared, the session lives', async t => {
  const { app, tokens } = await setup(t)
  for (const [name, headers] of Object.entries(CROSS_SITE)) {
    const revoke = await app.inject({ method: 'POST', url: '/revoke', payload: `token=${tokens.refresh_token as string}`, headers: { ...FORM, ...headers } })
    t.equal(revoke.statusCode, 403, `/revoke, ${name}`)
    t.equal(revoke.json().error, 'access_denied')
    t.same(cookiesOf(revoke), [], `/revoke, ${name}: no Set-Cookie`)
    const logout = await app.inject({ method: 'POST', url: '/logout', headers: { ...bearer(tokens.access_token), ...headers } })
    t.equal(logout.statusCode, 403, `/logout, ${name}`)
    t.same(cookiesOf(logout), [], `/logout, ${name}: no Set-Cookie`)
  }
  t.equal((await me(app, tokens.access_token)).statusCode, 200, 'the session was not revoked')
  const plain = await app.inject({ method: 'POST', url: '/revoke', ...form({ token: 'unknown' }) })
  t.equal(plain.statusCode, 200)
  t.same(cookiesOf(plain), [], 'a revoke without X-Requested-With does not clear the cookie')
  const revoked = await app.inject({ method: 'POST', url: '/revoke', payload: `token=${tokens.refresh_token as string}`, headers: { ...FORM, 'x-requested-with': 'fetch', origin: 'https://auth.example.test' } })
  t.equal(revoked.statusCode, 200)
  t.equal(cookiesOf(revoked).length, 2, 'a same-origin script revoke clears it')
})

t.test('without REFRESH_TOKEN_COOKIE nothing changes for cross-site requests (no cookie to protect)', async t => {
  const app = await build(t)
  await addUser(app, 'alice')
  const res = await browserLogin(app, { origin: 'https://evil.example' })
  t.equal(res.statusCode, 200)
})
