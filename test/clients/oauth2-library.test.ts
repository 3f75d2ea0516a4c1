import { ResourceOwnerPassword, type ModuleOptions } from 'simple-oauth2'
import t from 'tap'
import { addClient, addUser, build, login, PASSWORD } from '../helper.js'
import { enrolTotp, MFA_OTP_GRANT, oathtoolCode, STEP_MS } from '../mfa.js'
import { needOathtool } from '../services.js'
import { listen } from './listen.js'

/**
 * Item 2 of issue 7: simple-oauth2, an OAuth2 client library from npm, used
 * unmodified (only configured with the service's paths) for the password
 * grant, refresh and revocation. A public client (RFC 6749 §2.1) has a
 * client_id and no secret; the library sends it either in a Basic header or
 * in the form body (§2.3.1), and both must work. A client_id must name a
 * registered client, so the test registers gatehouse-cli as a public one.
 */
async function me (baseUrl: string, accessToken: unknown): Promise<number> {
  const res = await fetch(`${baseUrl}/users/me`, { headers: { authorization: `Bearer ${String(accessToken)}` } })
  return res.status
}

/** simple-oauth2 rejects with a Boom error carrying the response payload. */
function oauthError (err: unknown): { status: number | undefined, error: unknown } {
  const boom = err as { output?: { statusCode?: number }, data?: { payload?: { error?: unknown } } }
  return { status: boom.output?.statusCode, error: boom.data?.payload?.error }
}

for (const authorizationMethod of ['header', 'body'] as const) {
  t.test(`simple-oauth2 with client credentials in the ${authorizationMethod}`, async t => {
    const app = await build(t)
    await addUser(app, 'alice', { scopes: ['reports:read', 'reports:write'] })
    await addClient(app, 'gatehouse-cli', { public: true, grantTypes: ['password', 'refresh_token'], scopes: ['reports:read', 'reports:write'] })
    const baseUrl = await listen(app)
    const options: ModuleOptions = {
      client: { id: 'gatehouse-cli', secret: '' },
      auth: { tokenHost: baseUrl, tokenPath: '/token', revokePath: '/revoke' },
      options: { authorizationMethod }
    }
    const client = new ResourceOwnerPassword(options)

    const wrong = await client.getToken({ username: 'alice', password: 'not-the-password' }).then(() => undefined, oauthError)
    t.same(wrong, { status: 401, error: 'invalid_grant' }, 'a wrong password is invalid_grant')

    const token = await client.getToken({ username: 'alice', password: PASSWORD, scope: ['reports:read'] })
    t.equal(token.token.token_type, 'bearer')
    t.equal(token.token.scope, 'reports:read')
    t.equal(token.expired(), false)
    t.ok(token.token.expires_at instanceof Date, 'the library computed expires_at from expires_in')
    t.equal(await me(baseUrl, token.token.access_token), 200)

    const refreshed = await token.refresh()
    t.not(refreshed.token.refresh_token, token.token.refresh_token, 'refresh rotates the refresh token')
    t.equal(refreshed.token.scope, 'reports:read')
    t.equal(await me(baseUrl, refreshed.token.access_token), 200)

    await refreshed.revoke('access_token')
    t.equal(await me(baseUrl, refreshed.token.access_token), 401, 'revoking the access token ends its session')
    const afterRevoke = await refreshed.refresh().then(() => undefined, oauthError)
    t.same(afterRevoke, { status: 400, error: 'invalid_grant' }, 'and its refresh token with it')

    const second = await client.getToken({ username: 'alice', password: PASSWORD })
    t.equal(second.token.scope, 'reports:read reports:write', 'no scope asked: all of the user\'s scopes')
    await second.revokeAll()
    t.equal(await me(baseUrl, second.token.access_token), 401)
    const reuse = await second.refresh().then(() => undefined, oauthError)
    t.same(reuse, { status: 400, error: 'invalid_grant' })

    const reused = await client.getToken({ username: 'alice', password: PASSWORD })
    await reused.refresh()
    const theft = await reused.refresh().then(() => undefined, oauthError)
    t.same(theft, { status: 400, error: 'invalid_grant' }, 'a rotated refresh token presented again is refused')
  })
}

t.test('simple-oauth2 through a two-factor login: mfa_required carries the mfa_token, the mfa-otp grant completes it', async t => {
  if (!await needOathtool(t)) return
  const app = await build(t)
  await addUser(app, 'alice', { scopes: ['reports:read'] })
  await addClient(app, 'gatehouse-cli', { public: true, grantTypes: ['password', 'refresh_token'], scopes: ['reports:read'] })
  const { secret } = await enrolTotp(app, (await login(app, 'alice')).access_token)
  const baseUrl = await listen(app)
  const client = new ResourceOwnerPassword({
    client: { id: 'gatehouse-cli', secret: '' },
    auth: { tokenHost: baseUrl, tokenPath: '/token', revokePath: '/revoke' },
    options: { authorizationMethod: 'body' }
  })

  const challenge = await client.getToken({ username: 'alice', password: PASSWORD }).then(() => undefined, (err: unknown) => err as { output?: { statusCode?: number }, data?: { payload?: { error?: string, mfa_token?: string } } })
  t.equal(challenge?.output?.statusCode, 403)
  t.equal(challenge?.data?.payload?.error, 'mfa_required')
  const mfaToken = challenge?.data?.payload?.mfa_token
  t.type(mfaToken, 'string', 'the library hands over the error body with the mfa_token')

  // The library's password grant with its grant_type overridden (its parameters win over its defaults).
  const params = { grant_type: MFA_OTP_GRANT, mfa_token: mfaToken, otp: oathtoolCode(secret, Date.now() + STEP_MS) } as unknown as Parameters<typeof client.getToken>[0]
  const token = await client.getToken(params)
  t.equal(token.token.scope, 'reports:read')
  t.equal(await me(baseUrl, token.token.access_token), 200)
  const refreshed = await token.refresh()
  t.same(JSON.parse(Buffer.from(String(refreshed.token.access_token).split('.')[1] ?? '', 'base64url').toString()).amr, ['pwd', 'otp'], 'refreshed through the library, still a two-factor session')
})
