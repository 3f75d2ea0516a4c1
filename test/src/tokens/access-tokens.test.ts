import t from 'tap'
import {
  accessTokenPayload, AccessTokenError, checkVerifiedClaims, clientTokenPayload, isCanonicalBase64url, isClientToken, MAX_TOKEN_LENGTH,
  precheckAccessToken, REQUIRED_CLAIMS
} from '../../../src/tokens/access-tokens.js'
import { createVerifiedTokens } from '../../../src/tokens/verified-tokens.js'

// Signing and verification go through @fastify/jwt: test/plugins/jwt.test.ts.
// These are the checks it cannot make, on their own.

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
const header = b64({ alg: 'HS256', typ: 'at+jwt', kid: 'k' })
const payload = b64({ sub: 'alice' })
const signature = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'

t.test('the pre-check refuses what fast-jwt would parse leniently', async t => {
  const refuse = (token: string, reason: RegExp, what: string) => {
    t.throws(() => precheckAccessToken(token), AccessTokenError, what)
    try { precheckAccessToken(token) } catch (err) { t.match((err as Error).message, reason, what) }
  }
  t.same(precheckAccessToken(`${header}.${payload}.${signature}`).header, { alg: 'HS256', typ: 'at+jwt', kid: 'k' })
  refuse('x'.repeat(MAX_TOKEN_LENGTH + 1), /too large/, 'oversized, before any parsing')
  refuse('garbage', /malformed/, 'not a JWT')
  refuse(`${header}.${payload}`, /malformed/, 'two segments')
  refuse(`${header}.${payload}.`, /malformed/, 'no signature')
  refuse(`${header}.${payload}.${signature.slice(0, 42)}B`, /malformed/, 'a signature with unused bits set')
  refuse(`${header}.${payload}=.${signature}`, /malformed/, 'padding')
  refuse(`${b64('{"alg":"HS256","alg":"none"}')}.${payload}.${signature}`, /malformed/, 'duplicate header member')
  refuse(`${header}.${b64('{"sub":"alice","s\\u0075b":"root"}')}.${signature}`, /malformed/, 'duplicate payload member, escaped')
  refuse(`${b64('[1]')}.${payload}.${signature}`, /malformed/, 'a header that is not an object')
  refuse(`${header}.${b64('not json')}.${signature}`, /malformed/, 'a payload that is not JSON')
})

t.test('a header is decoded once per distinct segment; a refused one is refused every time', async t => {
  const first = precheckAccessToken(`${header}.${payload}.${signature}`).header
  t.equal(precheckAccessToken(`${header}.${b64({ sub: 'bob' })}.${signature}`).header, first, 'the same header: the same decoded object')
  t.ok(Object.isFrozen(first), 'shared, so frozen')
  const duplicated = b64('{"alg":"HS256","alg":"none"}')
  for (let i = 0; i < 2; i++) t.throws(() => precheckAccessToken(`${duplicated}.${payload}.${signature}`), /malformed/)
  // More distinct headers than are kept: each is still decoded and checked on its own.
  for (let i = 0; i < 40; i++) {
    t.same(precheckAccessToken(`${b64({ alg: 'HS256', kid: `k${i}` })}.${payload}.${signature}`).header, { alg: 'HS256', kid: `k${i}` })
  }
  t.same(precheckAccessToken(`${header}.${payload}.${signature}`).header, { alg: 'HS256', typ: 'at+jwt', kid: 'k' })
  t.throws(() => precheckAccessToken(`${header}.${b64('{"sub":"a","sub":"b"}')}.${signature}`), /malformed/, 'the payload is checked whatever the header')
})

t.test('verified claims: a future iat is refused, expiry is checked on our clock', async t => {
  const now = 1_800_000_000_000
  const claims = { ...accessTokenPayload({ username: 'alice', scopes: ['a', 'b'], sessionId: 's', authTime: 1 }, now), iss: 'i', aud: 'a', exp: now / 1000 + 900 }
  t.equal(claims.scope, 'a b')
  t.same(checkVerifiedClaims({ ...claims }, now), claims)
  t.ok(checkVerifiedClaims({ ...claims, iat: now / 1000 + 15 }, now), 'issued 15 s ahead: within the skew')
  t.throws(() => checkVerifiedClaims({ ...claims, iat: now / 1000 + 60 }, now), /future/)
  t.throws(() => checkVerifiedClaims({ ...claims }, now + (900 + 60) * 1000), /expired/)
  t.throws(() => checkVerifiedClaims({ ...claims, sid: 7 }, now), /invalid/, 'claim types are checked')
})

t.test('verified claims by kind: a user token (with or without client_id) and a client token', async t => {
  const now = 1_800_000_000_000
  const registered = { iss: 'i', aud: 'a', exp: now / 1000 + 900 }
  const user = { ...accessTokenPayload({ username: 'alice', scopes: ['a'], sessionId: 's', authTime: 1, clientId: 'spa' }, now), ...registered }
  t.equal(user.client_id, 'spa')
  t.equal(accessTokenPayload({ username: 'alice', scopes: [], sessionId: 's', authTime: 1, clientId: null }, now).client_id, undefined, 'no client: no claim')
  t.same(checkVerifiedClaims({ ...user }, now), user)
  t.equal(isClientToken(checkVerifiedClaims({ ...user }, now)), false)
  t.throws(() => checkVerifiedClaims({ ...user, client_id: 7 }, now), /invalid/, 'client_id must be a string')
  t.throws(() => checkVerifiedClaims({ ...user, auth_time: undefined }, now), /invalid/, 'a user token needs auth_time')
  const verified = { ...accessTokenPayload({ username: 'alice', scopes: [], sessionId: 's', authTime: 1, emailVerified: false }, now), ...registered }
  t.equal(verified.email_verified, false, 'email_verified when told (the user has an address), false included')
  t.notOk('email_verified' in user, 'and no claim otherwise')
  t.same(checkVerifiedClaims({ ...verified }, now), verified)
  t.throws(() => checkVerifiedClaims({ ...verified, email_verified: 'true' }, now), /invalid/, 'email_verified must be a boolean')

  const client = { ...clientTokenPayload({ clientId: 'svc', scopes: ['introspect'] }, now), ...registered }
  t.same(Object.keys(client).sort(), ['aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'scope', 'sub'])
  t.equal(client.sub, 'svc')
  t.same(checkVerifiedClaims({ ...client }, now), client)
  t.equal(isClientToken(checkVerifiedClaims({ ...client }, now)), true)
  t.throws(() => checkVerifiedClaims({ ...client, client_id: 'other' }, now), /invalid/, 'client_id must be sub')
  t.throws(() => checkVerifiedClaims({ ...client, client_id: undefined }, now), /invalid/, 'neither sid nor client_id')
  t.throws(() => checkVerifiedClaims({ ...client, auth_time: 1 }, now), /invalid/, 'a client token has no auth_time')
  t.throws(() => checkVerifiedClaims({ ...client, iat: now / 1000 + 60 }, now), /future/, 'the common checks apply')
  for (const claim of REQUIRED_CLAIMS) t.ok(claim in client && claim in user, `${claim} is in both kinds`)
})

t.test('the signature spelling check', async t => {
  t.ok(isCanonicalBase64url('AAAA'))
  t.ok(isCanonicalBase64url('AAE'))
  t.notOk(isCanonicalBase64url('AAF'))
  t.ok(isCanonicalBase64url('AQ'))
  t.notOk(isCanonicalBase64url('AR'))
  t.notOk(isCanonicalBase64url('A'))
})

t.test('the verified-token cache: by exact string, until exp plus the skew', async t => {
  let clock = 1_800_000_000_000
  const cache = createVerifiedTokens(10, () => clock)
  const claims = Object.freeze({ ...accessTokenPayload({ username: 'alice', scopes: [], sessionId: 's', authTime: 1 }, clock), iss: 'i', aud: 'a', exp: clock / 1000 + 900 })
  t.equal(cache.get('token'), undefined)
  cache.set('token', claims)
  t.equal(cache.get('token'), claims)
  t.equal(cache.get('token '), undefined, 'another string is another token')
  clock += (900 + 15) * 1000
  t.equal(cache.get('token'), claims, 'within the skew')
  clock += 30 * 1000
  t.throws(() => cache.get('token'), /expired/)
  t.equal(cache.get('token'), undefined, 'and it is forgotten')
  const none = createVerifiedTokens(0)
  none.set('token', claims)
  t.equal(none.get('token'), undefined, 'size 0 remembers nothing')
})

t.test('amr and acr: only after a second factor, and typed when verified', async t => {
  const now = 1_700_000_000_000
  const registered = { iss: 'i', aud: 'a', exp: now / 1000 + 900 }
  const base = { username: 'alice', scopes: [], sessionId: 's', authTime: 1 }
  const password = accessTokenPayload({ ...base, amr: ['pwd'] }, now)
  t.equal(password.amr, undefined, 'a password-only login: no amr')
  t.equal(password.acr, undefined)
  const mfa = { ...accessTokenPayload({ ...base, amr: ['pwd', 'otp'] }, now), ...registered }
  t.same(mfa.amr, ['pwd', 'otp'])
  t.equal(mfa.acr, 'urn:gatehouse:acr:mfa')
  t.same(checkVerifiedClaims({ ...mfa }, now), mfa)
  t.throws(() => checkVerifiedClaims({ ...mfa, amr: 'otp' }, now), /invalid/, 'amr is an array')
  t.throws(() => checkVerifiedClaims({ ...mfa, amr: ['pwd', 1] }, now), /invalid/, 'of strings')
  t.throws(() => checkVerifiedClaims({ ...mfa, acr: 2 }, now), /invalid/, 'acr is a string')
})
