import { decodeJwt, decodeProtectedHeader } from 'jose'
import t from 'tap'
import { addClient, addUser, basicAuth, bearer, build, form, login, me, PASSWORD, refresh } from '../helper.js'

type App = Awaited<ReturnType<typeof build>>

/** POST /token with the form fields and, when given, an Authorization header. */
async function token (app: App, fields: Record<string, string>, authorization?: string) {
  const { payload, headers } = form(fields)
  return await app.inject({ method: 'POST', url: '/token', payload, headers: authorization === undefined ? headers : { ...headers, authorization } })
}

t.test('client_credentials with HTTP Basic: an access token for the client, no refresh token', async t => {
  const app = await build(t)
  const secret = await addClient(app, 'reports-svc', { scopes: ['introspect', 'reports:read'] }) ?? ''
  const res = await token(app, { grant_type: 'client_credentials' }, basicAuth('reports-svc', secret))
  t.equal(res.statusCode, 200)
  t.equal(res.headers['cache-control'], 'no-store')
  const body = res.json()
  t.same(Object.keys(body).sort(), ['access_token', 'expires_in', 'scope', 'token_type'], 'no refresh_token (RFC 6749 §4.4.3)')
  t.equal(body.scope, 'introspect reports:read', 'no scope asked: all of the client\'s')
  t.equal(body.expires_in, 900)
  t.equal(decodeProtectedHeader(body.access_token).typ, 'at+jwt')
  const claims = decodeJwt(body.access_token)
  t.same(Object.keys(claims).sort(), ['aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'scope', 'sub'], 'RFC 9068 claims, no sid or auth_time')
  t.equal(claims.sub, 'reports-svc')
  t.equal(claims.client_id, 'reports-svc')
  t.equal((claims.exp ?? 0) - (claims.iat ?? 0), 900)
})

t.test('client_credentials with client_secret_post, a scope subset, and a scope the client lacks', async t => {
  const app = await build(t)
  const secret = await addClient(app, 'svc', { scopes: ['introspect', 'reports:read'] }) ?? ''
  const subset = await token(app, { grant_type: 'client_credentials', client_id: 'svc', client_secret: secret, scope: 'reports:read' })
  t.equal(subset.statusCode, 200)
  t.equal(subset.json().scope, 'reports:read')
  t.equal(decodeJwt(subset.json().access_token).scope, 'reports:read')
  const lacking = await token(app, { grant_type: 'client_credentials', client_id: 'svc', client_secret: secret, scope: 'users:admin' })
  t.equal(lacking.statusCode, 400)
  t.equal(lacking.json().error, 'invalid_scope')
})

t.test('the client\'s access-token lifetime overrides the configured one, for its own and its users\' tokens', async t => {
  const app = await build(t)
  await addUser(app, 'alice', { scopes: ['reports:read'] })
  const secret = await addClient(app, 'short', { grantTypes: ['client_credentials', 'password'], scopes: ['reports:read'], accessTokenTtlSeconds: 120 }) ?? ''
  const own = await token(app, { grant_type: 'client_credentials' }, basicAuth('short', secret))
  t.equal(own.json().expires_in, 120)
  const ownClaims = decodeJwt(own.json().access_token)
  t.equal((ownClaims.exp ?? 0) - (ownClaims.iat ?? 0), 120)
  const user = await token(app, { username: 'alice', password: PASSWORD }, basicAuth('short', secret))
  t.equal(user.statusCode, 200)
  t.equal(user.json().expires_in, 120)
  const userClaims = decodeJwt(user.json().access_token)
  t.equal((userClaims.exp ?? 0) - (userClaims.iat ?? 0), 120)
  t.equal((await me(app, user.json().access_token)).statusCode, 200)
})

t.test('invalid_client: 401, with WWW-Authenticate Basic only when Basic was used', async t => {
  const app = await build(t)
  const secret = await addClient(app, 'svc') ?? ''
  await addClient(app, 'off', { disabled: true })
  const cases: Array<[string, Record<string, string>, string | undefined, boolean]> = [
    ['wrong secret (Basic)', { grant_type: 'client_credentials' }, basicAuth('svc', 'not-the-secret'), true],
    ['unknown client (Basic)', { grant_type: 'client_credentials' }, basicAuth('nobody', secret), true],
    ['malformed Basic', { grant_type: 'client_credentials' }, 'Basic !!!', true],
    ['Basic without a colon', { grant_type: 'client_credentials' }, 'Basic ' + Buffer.from('svc').toString('base64'), true],
    ['wrong secret (form)', { grant_type: 'client_credentials', client_id: 'svc', client_secret: 'not-the-secret' }, undefined, false],
    ['unknown client (form)', { grant_type: 'client_credentials', client_id: 'nobody', client_secret: secret }, undefined, false],
    ['a confidential client without its secret', { grant_type: 'client_credentials', client_id: 'svc' }, undefined, false],
    ['an unknown client_id without secret', { username: 'alice', password: PASSWORD, client_id: 'nobody' }, undefined, false]
  ]
  for (const [what, fields, authorization, basic] of cases) {
    const res = await token(app, fields, authorization)
    t.equal(res.statusCode, 401, what)
    t.equal(res.json().error, 'invalid_client', what)
    t.equal(res.headers['www-authenticate'], basic ? 'Basic realm="gatehouse"' : undefined, what)
  }
  const disabled = await token(app, { grant_type: 'client_credentials', client_id: 'off', client_secret: 'x'.repeat(43) })
  t.equal(disabled.statusCode, 401, 'a disabled client (wrong secret)')
  t.equal(disabled.json().error, 'invalid_client')
  const anonymous = await token(app, { grant_type: 'client_credentials' })
  t.equal(anonymous.statusCode, 401, 'client_credentials needs a client')
  t.equal(anonymous.json().error, 'invalid_client')
  t.equal(anonymous.headers['www-authenticate'], 'Basic realm="gatehouse"')
})

t.test('a disabled client with its right secret is invalid_client', async t => {
  const app = await build(t)
  const secret = await addClient(app, 'svc') ?? ''
  await app.store.clients.update('svc', { disabled: true })
  const res = await token(app, { grant_type: 'client_credentials' }, basicAuth('svc', secret))
  t.equal(res.statusCode, 401)
  t.same(res.json(), { error: 'invalid_client', error_description: 'The client is disabled' })
})

t.test('two authentication methods at once are invalid_request', async t => {
  const app = await build(t)
  const secret = await addClient(app, 'svc') ?? ''
  const both = await token(app, { grant_type: 'client_credentials', client_id: 'svc', client_secret: secret }, basicAuth('svc', secret))
  t.equal(both.statusCode, 400)
  t.equal(both.json().error, 'invalid_request')
  const otherId = await token(app, { grant_type: 'client_credentials', client_id: 'other' }, basicAuth('svc', secret))
  t.equal(otherId.statusCode, 400, 'a different client_id in the form beside Basic')
  const sameId = await token(app, { grant_type: 'client_credentials', client_id: 'svc' }, basicAuth('svc', secret))
  t.equal(sameId.statusCode, 200, 'the same client_id repeated in the form is accepted')
  const secretOnly = await token(app, { grant_type: 'client_credentials', client_secret: secret })
  t.equal(secretOnly.statusCode, 400, 'client_secret without client_id')
})

t.test('unauthorized_client: a grant the client may not use', async t => {
  const app = await build(t)
  await addUser(app, 'alice')
  const secret = await addClient(app, 'svc') ?? ''
  const password = await token(app, { username: 'alice', password: PASSWORD }, basicAuth('svc', secret))
  t.equal(password.statusCode, 400)
  t.equal(password.json().error, 'unauthorized_client')
  await addClient(app, 'spa', { public: true, grantTypes: ['password', 'refresh_token', 'client_credentials'], scopes: [] })
  const publicCc = await token(app, { grant_type: 'client_credentials', client_id: 'spa' })
  t.equal(publicCc.statusCode, 400, 'client_credentials is for confidential clients only')
  t.equal(publicCc.json().error, 'unauthorized_client')
})

t.test('password grant through a registered public client: scopes capped, session and token carry the client', async t => {
  const app = await build(t)
  await addUser(app, 'alice', { scopes: ['reports:read', 'reports:write'] })
  await addClient(app, 'spa', { public: true, grantTypes: ['password', 'refresh_token'], scopes: ['reports:read'] })
  const res = await token(app, { username: 'alice', password: PASSWORD, client_id: 'spa' })
  t.equal(res.statusCode, 200)
  t.equal(res.json().scope, 'reports:read', 'the user\'s scopes that the client may carry')
  const claims = decodeJwt(res.json().access_token)
  t.equal(claims.client_id, 'spa')
  t.equal(claims.sub, 'alice')
  const session = await app.store.sessions.findWithUser(claims.sid as string)
  t.equal(session?.session.clientId, 'spa')
  const beyond = await token(app, { username: 'alice', password: PASSWORD, client_id: 'spa', scope: 'reports:write' })
  t.equal(beyond.statusCode, 400)
  t.equal(beyond.json().error, 'invalid_scope')

  const basic = await token(app, { username: 'alice', password: PASSWORD }, basicAuth('spa', ''))
  t.equal(basic.statusCode, 200, 'a public client may identify itself by Basic with an empty secret')
  t.equal(decodeJwt(basic.json().access_token).client_id, 'spa')
  const anonymous = await login(app, 'alice')
  t.equal(decodeJwt(anonymous.access_token).client_id, undefined, 'without a client: no client_id claim')
})

t.test('refresh: only by the client the session belongs to', async t => {
  const app = await build(t)
  await addUser(app, 'alice', { scopes: ['reports:read'] })
  await addClient(app, 'spa', { public: true, grantTypes: ['password', 'refresh_token'], scopes: ['reports:read'] })
  await addClient(app, 'other', { public: true, grantTypes: ['password', 'refresh_token'], scopes: ['reports:read'] })
  const secret = await addClient(app, 'web', { grantTypes: ['password', 'refresh_token'], scopes: ['reports:read'] }) ?? ''

  const viaSpa = (await token(app, { username: 'alice', password: PASSWORD, client_id: 'spa' })).json()
  t.equal((await refresh(app, viaSpa.refresh_token)).statusCode, 400, 'not without the client')
  t.equal((await refresh(app, viaSpa.refresh_token, { client_id: 'other' })).json().error, 'invalid_grant', 'not by another client')
  const again = await refresh(app, viaSpa.refresh_token, { client_id: 'spa' })
  t.equal(again.statusCode, 200, 'by its client: the refused attempts did not use the refresh token up')
  t.equal(decodeJwt(again.json().access_token).client_id, 'spa')

  const viaWeb = (await token(app, { username: 'alice', password: PASSWORD }, basicAuth('web', secret))).json()
  t.equal((await refresh(app, viaWeb.refresh_token, { client_id: 'web' })).statusCode, 401, 'a confidential client must authenticate to refresh')
  const webRefresh = await token(app, { grant_type: 'refresh_token', refresh_token: viaWeb.refresh_token }, basicAuth('web', secret))
  t.equal(webRefresh.statusCode, 200)

  const anonymous = await login(app, 'alice')
  const withClient = await refresh(app, anonymous.refresh_token, { client_id: 'spa' })
  t.equal(withClient.statusCode, 400, 'a session opened without a client is refreshed without one')
  t.equal(withClient.json().error, 'invalid_grant')
  t.equal((await refresh(app, anonymous.refresh_token)).statusCode, 200)
})

t.test('failed client authentications are locked out per client, apart from user logins', async t => {
  const app = await build(t, { LOGIN_MAX_FAILURES_PER_USER: '2' })
  await addUser(app, 'alice')
  const secret = await addClient(app, 'svc') ?? ''
  const attempt = async (password: string) => await token(app, { grant_type: 'client_credentials' }, basicAuth('svc', password))
  t.equal((await attempt('wrong-1')).statusCode, 401)
  t.equal((await attempt('wrong-2')).statusCode, 401)
  const locked = await attempt(secret)
  t.equal(locked.statusCode, 429, 'locked out, even with the right secret')
  t.equal(locked.json().error, 'too_many_requests')
  t.ok(Number(locked.headers['retry-after']) >= 1)
  t.equal((await login(app, 'alice')).token_type, 'bearer', 'a user login is not affected')
  const other = await addClient(app, 'svc2') ?? ''
  t.equal((await token(app, { grant_type: 'client_credentials' }, basicAuth('svc2', other))).statusCode, 200, 'another client is not affected')
})

t.test('a client token on a user route is 403; once its client is disabled or deleted, 401 at once', async t => {
  const app = await build(t)
  const secret = await addClient(app, 'svc') ?? ''
  const issue = async () => (await token(app, { grant_type: 'client_credentials' }, basicAuth('svc', secret))).json().access_token as string
  const accessToken = await issue()
  const res = await me(app, accessToken)
  t.equal(res.statusCode, 403)
  t.equal(res.json().error, 'access_denied')
  t.match(res.json().error_description, /user's token/)

  await app.store.clients.update('svc', { disabled: true })
  const disabled = await me(app, accessToken)
  t.equal(disabled.statusCode, 401)
  t.equal(disabled.json().error, 'invalid_token')
  await app.store.clients.update('svc', { disabled: false })
  t.equal((await me(app, accessToken)).statusCode, 403, 'enabled again')
  await app.store.clients.delete('svc')
  t.equal((await me(app, accessToken)).statusCode, 401, 'deleted')
})

t.test('/revoke: client credentials are optional, but must be valid when presented', async t => {
  const app = await build(t)
  await addUser(app, 'alice')
  const secret = await addClient(app, 'svc') ?? ''
  const tokens = await login(app, 'alice')
  const revoke = async (fields: Record<string, string>, authorization?: string) => {
    const { payload, headers } = form(fields)
    return await app.inject({ method: 'POST', url: '/revoke', payload, headers: authorization === undefined ? headers : { ...headers, authorization } })
  }
  const wrong = await revoke({ token: tokens.refresh_token }, basicAuth('svc', 'not-the-secret'))
  t.equal(wrong.statusCode, 401)
  t.equal(wrong.json().error, 'invalid_client')
  t.equal(wrong.headers['www-authenticate'], 'Basic realm="gatehouse"')
  t.equal((await me(app, tokens.access_token)).statusCode, 200, 'nothing was revoked')
  t.equal((await revoke({ token: tokens.refresh_token }, basicAuth('svc', secret))).statusCode, 200)
  t.equal((await me(app, tokens.access_token)).statusCode, 401)
  const again = await login(app, 'alice')
  t.equal((await revoke({ token: again.refresh_token })).statusCode, 200, 'without client credentials, as before')
  t.equal((await me(app, again.access_token)).statusCode, 401)
  t.equal((await app.inject({ method: 'GET', url: '/users/me', headers: bearer(again.access_token) })).json().error, 'invalid_token')
})

t.test('Basic with an empty id and secret (what Swagger UI sends for its empty client fields) is no client at all', async t => {
  const app = await build(t)
  await addUser(app, 'alice')
  const anonymous = await token(app, { username: 'alice', password: PASSWORD }, 'Basic ' + Buffer.from(':').toString('base64'))
  t.equal(anonymous.statusCode, 200, 'the anonymous public client, as without the header')
  t.equal(decodeJwt(anonymous.json().access_token).client_id, undefined)
  const cc = await token(app, { grant_type: 'client_credentials' }, 'Basic ' + Buffer.from(':').toString('base64'))
  t.equal(cc.statusCode, 401, 'client_credentials still needs a client')
  t.equal(cc.json().error, 'invalid_client')
  const emptySecret = await token(app, { username: 'alice', password: PASSWORD }, 'Basic ' + Buffer.from('nobody:').toString('base64'))
  t.equal(emptySecret.statusCode, 401, 'an id with an empty secret still names a client, here an unknown one')
})
