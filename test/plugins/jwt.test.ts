import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import t from 'tap'
import configPlugin from '../../plugins/config.js'
import errorHandlerPlugin from '../../plugins/error-handler.js'
import jwtPlugin from '../../plugins/jwt.js'
import { AccessTokenError, MAX_TOKEN_LENGTH } from '../../src/tokens/access-tokens.js'
import { loadKeySet } from '../../src/tokens/keys.js'
import { hs256 } from '../adversarial/craft.js'
import { addUser, bearer, build, login, me, tempDir, testConfig, TEST_SECRET } from '../helper.js'

const OLD_SECRET = 'old-secret-Zq8vN3kP1xW7mR4tY6uB9cE2gH5jL0aS'
const input = { username: 'alice', scopes: ['users:admin'], sessionId: 'sid-1', authTime: 1_700_000_000 }
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const INVALID_TOKEN = /^Bearer error="invalid_token", error_description="[^"]+"$/

type Tap = Parameters<typeof tempDir>[0]

/** Only the config, error-handler and jwt plugins, with a route on each verification path. */
async function jwtApp (t: Tap, env: Record<string, string> = {}, now?: () => number): Promise<FastifyInstance> {
  const config = testConfig(t, env)
  const app = Fastify({ logger: false })
  await app.register(configPlugin, { config, keys: loadKeySet(config) })
  await app.register(errorHandlerPlugin)
  await app.register(jwtPlugin, { now })
  app.get('/claims', async (request) => {
    const claims = await app.accessTokens.verifyRequest(request)
    return { claims, decorated: request.accessToken === claims, frozen: Object.isFrozen(request.accessToken) }
  })
  // @fastify/jwt used directly, as any route may: its FST_JWT_* errors still get the one RFC 6750 answer.
  app.get('/raw', async (request) => await request.jwtVerify())
  app.get('/sign', async (_request, reply) => ({ token: await reply.jwtSign({ sub: 'alice', jti: 'j', scope: '', sid: 's', auth_time: 1, iat: Math.floor(Date.now() / 1000) }) }))
  await app.ready()
  t.teardown(async () => { await app.close() })
  return app
}

const claimsOf = async (app: FastifyInstance, token: string) => await app.inject({ method: 'GET', url: '/claims', headers: bearer(token) })

t.test('@fastify/jwt is registered: app.jwt, request.jwtVerify, reply.jwtSign', async t => {
  const app = await jwtApp(t)
  t.type(app.jwt.sign, 'function')
  t.type(app.jwt.verify, 'function')
  t.ok(app.hasRequestDecorator('jwtVerify'))
  t.ok(app.hasReplyDecorator('jwtSign'))
  t.ok(app.hasRequestDecorator('accessToken'), 'the claims decorator is named accessToken')
  t.notOk(app.hasRequestDecorator('user'), 'not the default name')
  t.equal(app.jwt.options.sign.kid, app.keys.current.kid)
  t.same(app.jwt.options.verify.algorithms, ['HS256'])
})

t.test('issue produces an RFC 9068 token that both verification paths accept', async t => {
  const app = await jwtApp(t)
  const issued = app.accessTokens.issue(input)
  const header = decodeProtectedHeader(issued.token)
  t.same(header, { alg: 'HS256', typ: 'at+jwt', kid: app.keys.current.kid })
  const claims = decodeJwt(issued.token)
  t.match(claims, { iss: 'http://localhost:8000', aud: 'gatehouse', sub: 'alice', scope: 'users:admin', sid: 'sid-1', auth_time: 1_700_000_000 })
  t.equal((claims.exp as number) - (claims.iat as number), 900)
  t.same(claims, issued.claims)
  t.same(app.accessTokens.verify(issued.token), claims, 'app.jwt.verify with the key of its kid')
  const res = await claimsOf(app, issued.token)
  t.equal(res.statusCode, 200)
  t.same(res.json(), { claims, decorated: true, frozen: true }, 'request.jwtVerify(), formatUser freezes request.accessToken')
  t.not(app.accessTokens.issue(input).claims.jti, issued.claims.jti, 'jti is unique')
})

t.test('both paths refuse bad tokens with a safe reason', async t => {
  const app = await jwtApp(t)
  const other = await jwtApp(t, { JWT_SECRET: 'another-secret-0123456789-abcdefghijklmnop' })
  const evil = await jwtApp(t, { PUBLIC_URL: 'https://evil.example' })
  const elsewhere = await jwtApp(t, { JWT_AUDIENCE: 'other' })
  const good = app.accessTokens.issue(input).token
  const [h, p, s] = good.split('.') as [string, string, string]
  const refuse = async (token: string, reason: RegExp, what: string) => {
    t.throws(() => app.accessTokens.verify(token), AccessTokenError, what)
    try { app.accessTokens.verify(token) } catch (err) { t.match((err as Error).message, reason, what) }
    const res = await claimsOf(app, token)
    t.equal(res.statusCode, 401, what)
    t.equal(res.json().error, 'invalid_token', what)
    t.match(res.json().error_description, reason, what)
    t.match(res.headers['www-authenticate'], INVALID_TOKEN, what)
  }
  await refuse('x'.repeat(MAX_TOKEN_LENGTH + 1), /too large/, 'oversized')
  await refuse('garbage', /malformed/, 'not a JWT')
  await refuse(`${h}.${p}`, /malformed/, 'two segments')
  await refuse(`${h}.${b64({ ...decodeJwt(good), sub: 'mallory' })}.${s}`, /invalid/, 'tampered payload')
  // The first character changes: a signature already ending in the replacement would have stayed as it was (1 run in 256).
  await refuse(`${h}.${p}.${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`, /invalid/, 'tampered signature')
  await refuse(`${b64({ alg: 'none', typ: 'at+jwt', kid: decodeProtectedHeader(good).kid })}.${p}.`, /malformed|algorithm/, 'alg none')
  await refuse(`${b64({ alg: 'HS256', typ: 'at+jwt', kid: 'unknown' })}.${p}.${s}`, /unknown key/, 'unknown kid')
  await refuse(other.accessTokens.issue(input).token, /unknown key/, 'another key')
  await refuse(evil.accessTokens.issue(input).token, /invalid/, 'wrong issuer')
  await refuse(elsewhere.accessTokens.issue(input).token, /invalid/, 'wrong audience')
})

t.test('an unknown kid fails without trying other keys; the kid alone picks the key', async t => {
  const app = await jwtApp(t, { JWT_PREVIOUS_SECRETS: OLD_SECRET })
  const claims = app.accessTokens.issue(input).claims
  const [currentKid, oldKid] = [...app.keys.byKid.keys()] as [string, string]
  for (const [kid, secret, what] of [
    ['unknown', TEST_SECRET, 'signed with the current secret under an unknown kid'],
    [undefined, TEST_SECRET, 'signed with the current secret, no kid'],
    [oldKid, TEST_SECRET, 'the current secret under the retired kid'],
    [currentKid, OLD_SECRET, 'the retired secret under the current kid']
  ] as const) {
    const token = hs256({ alg: 'HS256', typ: 'at+jwt', ...(kid === undefined ? {} : { kid }) }, claims, secret)
    t.throws(() => app.accessTokens.verify(token), AccessTokenError, what)
    t.equal((await claimsOf(app, token)).statusCode, 401, what)
  }
  t.equal((await claimsOf(app, hs256({ alg: 'HS256', typ: 'at+jwt', kid: oldKid }, claims, OLD_SECRET))).statusCode, 200, 'the retired key under its own kid')
})

t.test('a retired key verifies but never signs', async t => {
  const app = await build(t, { JWT_PREVIOUS_SECRETS: OLD_SECRET })
  await addUser(app, 'alice')
  const session = decodeJwt((await login(app, 'alice')).access_token)
  const oldKid = [...app.keys.byKid.keys()].find(kid => kid !== app.keys.current.kid) as string
  const payload = { ...session, jti: 'retired-1' }
  t.equal((await me(app, hs256({ alg: 'HS256', typ: 'at+jwt', kid: oldKid }, payload, OLD_SECRET))).statusCode, 200, 'verifies')

  const direct = { sub: 'alice', jti: 'direct-1', scope: '', sid: session.sid as string, auth_time: session.auth_time as number, iat: Math.floor(Date.now() / 1000) }
  const signed = [app.jwt.sign(direct), app.accessTokens.issue(input).token]
  for (const token of signed) {
    t.equal(decodeProtectedHeader(token).kid, app.keys.current.kid, 'signed under the current kid')
    t.equal(token.split('.')[2], hs256({ alg: 'HS256', typ: 'at+jwt', kid: app.keys.current.kid }, decodeJwt(token), TEST_SECRET).split('.')[2], 'with the current secret')
  }
})

t.test('a token from app.jwt.sign or reply.jwtSign is accepted by GET /users/me', async t => {
  const app = await build(t)
  await addUser(app, 'alice')
  const claims = decodeJwt((await login(app, 'alice')).access_token)
  const payload = { sub: 'alice', jti: 'direct-1', scope: '', sid: claims.sid as string, auth_time: claims.auth_time as number, iat: Math.floor(Date.now() / 1000) }
  const res = await me(app, app.jwt.sign(payload))
  t.equal(res.statusCode, 200)
  t.equal(res.json().username, 'alice')

  const small = await jwtApp(t)
  const fromReply = (await small.inject({ method: 'GET', url: '/sign' })).json().token as string
  t.equal(decodeProtectedHeader(fromReply).typ, 'at+jwt', 'reply.jwtSign uses the same sign options')
  t.equal((await claimsOf(small, fromReply)).statusCode, 200)
})

t.test('FST_JWT_* errors get the one RFC 6750 body', async t => {
  const app = await jwtApp(t)
  const expired = app.accessTokens.issue(input, Date.now() - 3600_000).token
  const cases: Array<[string, string, RegExp]> = [
    [`Bearer ${expired}`, 'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED', /expired/],
    [`Bearer ${expired.slice(0, -4)}AAAA`, 'FST_JWT_AUTHORIZATION_TOKEN_INVALID', /invalid/],
    ['Bearer a.b.c', 'FST_JWT_AUTHORIZATION_TOKEN_INVALID', /invalid/]
  ]
  for (const [authorization, code, description] of cases) {
    const res = await app.inject({ method: 'GET', url: '/raw', headers: { authorization } })
    t.equal(res.statusCode, 401, code)
    t.same(Object.keys(res.json()).sort(), ['error', 'error_description'], code)
    t.equal(res.json().error, 'invalid_token', code)
    t.match(res.json().error_description, description, code)
    t.match(res.headers['www-authenticate'], INVALID_TOKEN, code)
  }
  const missing = await app.inject({ method: 'GET', url: '/raw' })
  t.equal(missing.statusCode, 401)
  t.equal(missing.json().error, 'unauthorized')
  t.equal(missing.headers['www-authenticate'], 'Bearer')
})

t.test('expiry and issue time are enforced with at most 30 s of skew', async t => {
  const app = await jwtApp(t, { AUTH_CACHE_SIZE: '0' })
  const issuedAgo = (seconds: number) => app.accessTokens.issue(input, Date.now() - seconds * 1000).token
  const accepted = async (token: string) => (await claimsOf(app, token)).statusCode === 200
  t.ok(app.accessTokens.verify(issuedAgo(900 + 15)), 'expired 15 s ago: within the skew')
  t.ok(await accepted(issuedAgo(900 + 15)))
  t.throws(() => app.accessTokens.verify(issuedAgo(900 + 60)), /expired/, 'expired a minute ago')
  t.notOk(await accepted(issuedAgo(900 + 60)))
  t.throws(() => app.accessTokens.verify(issuedAgo(-60)), /future/, 'issued a minute ahead')
  t.match((await claimsOf(app, issuedAgo(-60))).json().error_description, /future/)
  t.ok(app.accessTokens.verify(issuedAgo(-15)), 'issued 15 s ahead: within the skew')
})

t.test('typ: at+jwt and application/at+jwt are accepted, nothing else', async t => {
  const app = await jwtApp(t)
  const claims = app.accessTokens.issue(input).claims
  const signed = (typ: string | undefined) => hs256({ alg: 'HS256', kid: app.keys.current.kid, ...(typ === undefined ? {} : { typ }) }, claims, TEST_SECRET)
  t.ok(app.accessTokens.verify(signed('at+jwt')))
  t.ok(app.accessTokens.verify(signed('application/at+jwt')))
  t.throws(() => app.accessTokens.verify(signed('JWT')), AccessTokenError)
  t.throws(() => app.accessTokens.verify(signed(undefined)), AccessTokenError, 'typ is required')
  t.equal((await claimsOf(app, signed('JWT'))).statusCode, 401)
})

t.test('a signature has one spelling: variants that differ only in unused base64url bits are refused', async t => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  const app = await jwtApp(t)
  for (let round = 0; round < 5; round++) {
    const good = app.accessTokens.issue(input).token
    const [h, p, s] = good.split('.') as [string, string, string]
    const last = alphabet.indexOf(s[42] as string)
    for (const unusedBits of [1, 2, 3]) {
      const variant = `${h}.${p}.${s.slice(0, 42)}${alphabet[last ^ unusedBits] as string}`
      t.throws(() => app.accessTokens.verify(variant), AccessTokenError)
      t.equal((await claimsOf(app, variant)).statusCode, 401)
    }
    t.equal((await claimsOf(app, good)).statusCode, 200)
  }
})

t.test('a remembered token is still refused once it expires; only accepted tokens are remembered', async t => {
  let clock = Date.now()
  const app = await jwtApp(t, { AUTH_CACHE_SIZE: '10' }, () => clock)
  const token = app.accessTokens.issue(input).token
  const first = (await claimsOf(app, token)).json().claims
  const [h, p, s] = token.split('.') as [string, string, string]
  t.equal((await claimsOf(app, `${h}.${p}.${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`)).statusCode, 401, 'a changed signature')
  t.equal((await app.inject({ method: 'GET', url: '/claims', headers: { authorization: `Bearer ${token}x` } })).statusCode, 401, 'trailing garbage')

  // Past the real exp (fast-jwt reads the wall clock): only the cache can still answer.
  clock += (900 + 15) * 1000
  t.same((await claimsOf(app, token)).json().claims, first, 'within the clock skew, from the cache')
  clock += 30 * 1000
  t.match((await claimsOf(app, token)).json().error_description, /expired/, 'past exp and the skew, although remembered')
})

t.test('nothing imports fast-jwt itself: every token goes through @fastify/jwt', async t => {
  const root = join(import.meta.dirname, '..', '..')
  const engine = ['fast', 'jwt'].join('-')
  const imports = new RegExp(`(from|import|require)\\s*\\(?\\s*['"]${engine}['"]`)
  const files = [...['server.ts', 'app.ts'].filter(file => existsSync(join(root, file))), ...['src', 'plugins', 'routes', 'schemas', 'bench', 'scripts', 'test'].flatMap(dir =>
    (readdirSync(join(root, dir), { recursive: true }) as string[]).map(file => join(dir, file)))]
    .filter(file => /\.(ts|mjs|js)$/.test(file))
  t.ok(files.length > 50)
  t.same(files.filter(file => imports.test(readFileSync(join(root, file), 'utf8'))), [])
})
