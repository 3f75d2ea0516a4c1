import { decodeJwt } from 'jose'
import t, { type Test } from 'tap'
import { addClient, addUser, basicAuth, bearer, build, form, login, PASSWORD, refresh } from '../helper.js'
import { postgresSchema } from '../src/store/postgres-schema.js'

type App = Awaited<ReturnType<typeof build>>

async function post (app: App, url: string, fields: Record<string, string>, authorization?: string) {
  const { payload, headers } = form(fields)
  return await app.inject({ method: 'POST', url, payload, headers: authorization === undefined ? headers : { ...headers, authorization } })
}

/** A registered introspecting service: its Basic header. */
async function introspector (app: App, id = 'rs'): Promise<string> {
  return basicAuth(id, await addClient(app, id) ?? '')
}

async function introspect (app: App, token: string, authorization: string, extra: Record<string, string> = {}) {
  const res = await post(app, '/introspect', { token, ...extra }, authorization)
  if (res.statusCode !== 200) throw new Error(`introspect: ${res.statusCode} ${res.body}`)
  return res.json()
}

t.test('a user token: active with its facts, inactive at once after logout', async t => {
  const app = await build(t)
  await addUser(app, 'alice', { scopes: ['reports:read'] })
  const caller = await introspector(app)
  const tokens = await login(app, 'alice')
  const claims = decodeJwt(tokens.access_token)

  const res = await post(app, '/introspect', { token: tokens.access_token, token_type_hint: 'access_token' }, caller)
  t.equal(res.statusCode, 200)
  t.equal(res.headers['cache-control'], 'no-store')
  t.same(res.json(), {
    active: true,
    token_type: 'Bearer',
    scope: 'reports:read',
    username: 'alice',
    sub: 'alice',
    sid: claims.sid,
    exp: claims.exp,
    iat: claims.iat,
    aud: claims.aud,
    iss: claims.iss,
    jti: claims.jti,
    auth_time: claims.auth_time
  })

  t.equal((await app.inject({ method: 'POST', url: '/logout', headers: bearer(tokens.access_token) })).statusCode, 204)
  t.same(await introspect(app, tokens.access_token, caller), { active: false }, 'the revoked session: inactive at once')
})

t.test('inactive: malformed, forged, expired, a disabled or deleted user, an unknown refresh token', async t => {
  const app = await build(t)
  await addUser(app, 'alice', { scopes: ['reports:read'] })
  await addUser(app, 'bob')
  const caller = await introspector(app)
  const alice = await login(app, 'alice')
  const bob = await login(app, 'bob')
  const [header, payload] = alice.access_token.split('.') as [string, string]
  const expired = app.accessTokens.issue({ username: 'alice', scopes: [], sessionId: decodeJwt(alice.access_token).sid as string, authTime: 1 }, Date.now() - 3600_000)
  for (const [what, token] of Object.entries({
    'not a token': 'hello',
    'a forged signature': `${header}.${payload}.${'A'.repeat(43)}`,
    'an expired token': expired.token,
    'an unknown refresh token': 'B'.repeat(43),
    'an oversized token': 'x'.repeat(4096)
  })) {
    t.same(await introspect(app, token, caller), { active: false }, what)
  }
  t.equal((await introspect(app, alice.access_token, caller)).active, true, 'alice is active before')
  await app.userService.update('alice', { disabled: true })
  t.same(await introspect(app, alice.access_token, caller), { active: false }, 'a disabled user')
  await app.store.users.delete('bob')
  t.same(await introspect(app, bob.access_token, caller), { active: false }, 'a deleted user')
})

t.test('a client-credentials token: active, then inactive once its client is disabled or deleted', async t => {
  const app = await build(t)
  const caller = await introspector(app)
  const secret = await addClient(app, 'batch', { scopes: ['reports:read'] }) ?? ''
  const issue = async () => (await post(app, '/token', { grant_type: 'client_credentials' }, basicAuth('batch', secret))).json().access_token as string
  const accessToken = await issue()
  const claims = decodeJwt(accessToken)
  t.same(await introspect(app, accessToken, caller), {
    active: true,
    token_type: 'Bearer',
    scope: 'reports:read',
    client_id: 'batch',
    sub: 'batch',
    exp: claims.exp,
    iat: claims.iat,
    aud: claims.aud,
    iss: claims.iss,
    jti: claims.jti
  })
  await app.store.clients.update('batch', { disabled: true })
  t.same(await introspect(app, accessToken, caller), { active: false }, 'disabled')
  await app.store.clients.update('batch', { disabled: false })
  t.equal((await introspect(app, accessToken, caller)).active, true, 'enabled again')
  await app.store.clients.update('batch', { scopes: [] })
  t.equal((await introspect(app, accessToken, caller)).scope, '', 'scopes the client lost are not reported')
  await app.store.clients.delete('batch')
  t.same(await introspect(app, accessToken, caller), { active: false }, 'deleted')
})

t.test('a user token issued through a client carries client_id; disabling the client ends it', async t => {
  const app = await build(t)
  await addUser(app, 'alice', { scopes: ['reports:read'] })
  const caller = await introspector(app)
  await addClient(app, 'spa', { public: true, grantTypes: ['password', 'refresh_token'], scopes: ['reports:read'] })
  const tokens = (await post(app, '/token', { username: 'alice', password: PASSWORD, client_id: 'spa' })).json()
  const active = await introspect(app, tokens.access_token, caller)
  t.equal(active.client_id, 'spa')
  t.equal(active.username, 'alice')
  await app.store.clients.update('spa', { disabled: true })
  t.same(await introspect(app, tokens.access_token, caller), { active: false }, 'its sessions were revoked with it')
})

t.test('refresh tokens: described only to the client the session belongs to', async t => {
  const app = await build(t)
  await addUser(app, 'alice', { scopes: ['reports:read'] })
  const secret = await addClient(app, 'web', { grantTypes: ['password', 'refresh_token'], scopes: ['introspect', 'reports:read'] }) ?? ''
  const web = basicAuth('web', secret)
  const other = await introspector(app)
  const tokens = (await post(app, '/token', { username: 'alice', password: PASSWORD }, web)).json()
  const described = await introspect(app, tokens.refresh_token, web, { token_type_hint: 'refresh_token' })
  t.equal(described.active, true)
  t.equal(described.token_type, 'refresh_token')
  t.equal(described.client_id, 'web')
  t.equal(described.username, 'alice')
  t.equal(described.sid, decodeJwt(tokens.access_token).sid)
  t.equal(described.scope, 'reports:read')
  t.ok(described.exp > Date.now() / 1000)
  t.same(await introspect(app, tokens.refresh_token, other), { active: false }, 'another client learns nothing')

  const anonymous = await login(app, 'alice')
  t.same(await introspect(app, anonymous.refresh_token, web), { active: false }, 'a session without a client: to no client')

  const rotated = await post(app, '/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, web)
  t.equal(rotated.statusCode, 200)
  t.same(await introspect(app, tokens.refresh_token, web), { active: false }, 'a used refresh token')
  t.equal((await introspect(app, rotated.json().refresh_token, web)).active, true, 'its successor')
  t.equal((await refresh(app, anonymous.refresh_token)).statusCode, 200)
})

t.test('the caller: Basic, the form, or a client-credentials Bearer token holding introspect', async t => {
  const app = await build(t)
  await addUser(app, 'alice', { scopes: ['introspect'] })
  const user = await login(app, 'alice')
  const secret = await addClient(app, 'rs') ?? ''
  const plain = await addClient(app, 'plain', { scopes: ['reports:read'] }) ?? ''
  await addClient(app, 'spa', { public: true, grantTypes: ['password'], scopes: ['introspect'] })

  t.equal((await introspect(app, user.access_token, basicAuth('rs', secret))).active, true, 'Basic')
  const viaForm = await post(app, '/introspect', { token: user.access_token, client_id: 'rs', client_secret: secret })
  t.equal(viaForm.json().active, true, 'client_secret_post')
  const serviceToken = (await post(app, '/token', { grant_type: 'client_credentials' }, basicAuth('rs', secret))).json().access_token as string
  t.equal((await introspect(app, user.access_token, `Bearer ${serviceToken}`)).active, true, 'a client-credentials token')

  const expectError = async (what: string, res: Awaited<ReturnType<typeof post>>, status: number, error: string, challenge?: RegExp) => {
    t.equal(res.statusCode, status, what)
    t.equal(res.json().error, error, what)
    if (challenge !== undefined) t.match(res.headers['www-authenticate'], challenge, what)
  }
  await expectError('no credentials', await post(app, '/introspect', { token: user.access_token }), 401, 'invalid_client', /^Basic realm="gatehouse"$/)
  await expectError('a wrong secret', await post(app, '/introspect', { token: user.access_token }, basicAuth('rs', 'wrong')), 401, 'invalid_client', /^Basic/)
  await expectError('a public client', await post(app, '/introspect', { token: user.access_token, client_id: 'spa' }), 401, 'invalid_client')
  const lacking = await post(app, '/introspect', { token: user.access_token }, basicAuth('plain', plain))
  await expectError('a client without introspect', lacking, 403, 'insufficient_scope')
  t.match(lacking.json().error_description, /introspect scope/)
  const plainToken = (await post(app, '/token', { grant_type: 'client_credentials' }, basicAuth('plain', plain))).json().access_token as string
  await expectError('a client token without introspect', await post(app, '/introspect', { token: user.access_token }, `Bearer ${plainToken}`), 403, 'insufficient_scope', /insufficient_scope/)
  await expectError('a user\'s token, even with the introspect scope', await post(app, '/introspect', { token: user.access_token }, `Bearer ${user.access_token}`), 403, 'access_denied')
  await expectError('a bad Bearer token', await post(app, '/introspect', { token: user.access_token }, 'Bearer nope'), 401, 'invalid_token')
  await expectError('no token', await post(app, '/introspect', {}, basicAuth('rs', secret)), 400, 'invalid_request')
  await app.store.clients.update('rs', { disabled: true })
  await expectError('the caller\'s client disabled: its token too', await post(app, '/introspect', { token: user.access_token }, `Bearer ${serviceToken}`), 401, 'invalid_token')
})

t.test('the caller\'s own Bearer token is not replaced by the introspected one', async t => {
  const app = await build(t)
  await addUser(app, 'alice')
  const secret = await addClient(app, 'rs') ?? ''
  const serviceToken = (await post(app, '/token', { grant_type: 'client_credentials' }, basicAuth('rs', secret))).json().access_token as string
  const user = await login(app, 'alice')
  // Twice: the second time both tokens come from the verified-token cache.
  for (const round of [1, 2]) {
    const res = await introspect(app, user.access_token, `Bearer ${serviceToken}`)
    t.equal(res.username, 'alice', `round ${round}`)
    const self = await introspect(app, serviceToken, `Bearer ${serviceToken}`)
    t.equal(self.client_id, 'rs', `round ${round}: a service may introspect its own token`)
  }
})

async function onPostgres (t: Test): Promise<App | undefined> {
  const pg = await postgresSchema(t)
  if (pg === undefined) return undefined
  return await build(t, { DATABASE_URL: pg.url })
}

t.test('on PostgreSQL: revocation and a disabled client are seen by introspection at once', async t => {
  const app = await onPostgres(t)
  if (app === undefined) return
  t.equal(app.store.dialect, 'postgres')
  await addUser(app, 'alice', { scopes: ['reports:read'] })
  const caller = await introspector(app)
  const tokens = await login(app, 'alice')
  t.equal((await introspect(app, tokens.access_token, caller)).active, true)
  t.equal((await introspect(app, tokens.access_token, caller)).active, true, 'twice: now from the caches')
  t.equal((await post(app, '/revoke', { token: tokens.refresh_token })).statusCode, 200)
  t.same(await introspect(app, tokens.access_token, caller), { active: false }, 'revoked: inactive at once')

  const secret = await addClient(app, 'batch') ?? ''
  const serviceToken = (await post(app, '/token', { grant_type: 'client_credentials' }, basicAuth('batch', secret))).json().access_token as string
  t.equal((await introspect(app, serviceToken, caller)).active, true)
  await app.store.clients.update('batch', { disabled: true })
  t.same(await introspect(app, serviceToken, caller), { active: false })
})
