import { createSigner } from 'fast-jwt'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import t from 'tap'
import { loadConfig } from '../../../src/config.js'
import { AccessTokenError, createAccessTokenService, isCanonicalBase64url, MAX_TOKEN_LENGTH } from '../../../src/tokens/access-tokens.js'
import { loadKeySet } from '../../../src/tokens/keys.js'
import { tempDir, TEST_SECRET } from '../../helper.js'

const input = { username: 'alice', scopes: ['users:admin'], sessionId: 'sid-1', authTime: 1_700_000_000 }

function service (t: Parameters<typeof tempDir>[0], options: { secret?: string, now?: () => number, issuer?: string, audience?: string, cacheSize?: number } = {}) {
  const keys = loadKeySet(loadConfig({ DATA_DIR: tempDir(t), JWT_SECRET: options.secret ?? TEST_SECRET }))
  return createAccessTokenService({ keys, issuer: options.issuer ?? 'http://localhost:8000', audience: options.audience ?? 'gatehouse', ttlSeconds: 900, now: options.now, cacheSize: options.cacheSize })
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

t.test('issue produces an RFC 9068 token that verify accepts', async t => {
  const tokens = service(t)
  const issued = tokens.issue(input)
  const header = decodeProtectedHeader(issued.token)
  t.equal(header.typ, 'at+jwt')
  t.equal(header.alg, 'HS256')
  t.type(header.kid, 'string')
  const claims = decodeJwt(issued.token)
  t.equal(claims.iss, 'http://localhost:8000')
  t.equal(claims.aud, 'gatehouse')
  t.equal(claims.sub, 'alice')
  t.equal(claims.scope, 'users:admin')
  t.equal(claims.sid, 'sid-1')
  t.equal(claims.auth_time, 1_700_000_000)
  t.equal((claims.exp as number) - (claims.iat as number), 900)
  t.same(tokens.verify(issued.token), claims)
  t.not(tokens.issue(input).claims.jti, issued.claims.jti, 'jti is unique')
})

t.test('verify refuses bad tokens with a safe reason', async t => {
  const tokens = service(t)
  const good = tokens.issue(input).token
  const [h, p, s] = good.split('.') as [string, string, string]
  const refuse = (token: string, reason: RegExp, what: string) => {
    t.throws(() => tokens.verify(token), AccessTokenError, what)
    try { tokens.verify(token) } catch (err) { t.match((err as Error).message, reason, what) }
  }
  refuse('x'.repeat(MAX_TOKEN_LENGTH + 1), /too large/, 'oversized')
  refuse('garbage', /malformed/, 'not a JWT')
  refuse(`${h}.${p}`, /malformed/, 'two segments')
  refuse(`${h}.${b64({ ...decodeJwt(good), sub: 'mallory' })}.${s}`, /invalid/, 'tampered payload')
  refuse(`${h}.${p}.${s.slice(0, -2)}AA`, /invalid/, 'tampered signature')
  refuse(`${b64({ alg: 'none', typ: 'at+jwt', kid: decodeProtectedHeader(good).kid })}.${p}.`, /malformed|algorithm/, 'alg none')
  refuse(`${b64({ alg: 'HS256', typ: 'at+jwt', kid: 'unknown' })}.${p}.${s}`, /unknown key/, 'unknown kid')
  refuse(service(t, { secret: 'another-secret-0123456789-abcdefghijklmnop' }).issue(input).token, /unknown key/, 'another key')
  refuse(service(t, { issuer: 'https://evil.example' }).issue(input).token, /invalid/, 'wrong issuer')
  refuse(service(t, { audience: 'other' }).issue(input).token, /invalid/, 'wrong audience')
})

// fast-jwt checks exp against the wall clock (its clockTimestamp is fixed at
// creation), so these tokens are issued in the past or future instead.
t.test('expiry and issue time are enforced with at most 30 s of skew', async t => {
  const verifier = service(t)
  const issuedAgo = (seconds: number) => service(t, { now: () => Date.now() - seconds * 1000 }).issue(input).token
  t.ok(verifier.verify(issuedAgo(900 + 15)), 'expired 15 s ago: within the skew')
  t.throws(() => verifier.verify(issuedAgo(900 + 60)), /expired/, 'expired a minute ago')
  t.throws(() => verifier.verify(issuedAgo(-60)), /future/, 'issued a minute ahead')
  t.ok(verifier.verify(issuedAgo(-15)), 'issued 15 s ahead: within the skew')
})

t.test('typ: at+jwt and application/at+jwt are accepted, nothing else', async t => {
  const tokens = service(t)
  const keys = loadKeySet(loadConfig({ DATA_DIR: tempDir(t), JWT_SECRET: TEST_SECRET }))
  const claims = tokens.issue(input).claims
  const signed = (typ: string | undefined) => createSigner({
    key: TEST_SECRET, algorithm: 'HS256', header: { alg: 'HS256', kid: keys.current.kid, ...(typ === undefined ? {} : { typ }) }
  })({ ...claims })
  t.ok(tokens.verify(signed('at+jwt')))
  t.ok(tokens.verify(signed('application/at+jwt')))
  t.throws(() => tokens.verify(signed('JWT')), AccessTokenError)
  t.throws(() => tokens.verify(signed(undefined)), AccessTokenError, 'typ is required')
})

t.test('a signature has one spelling: variants that differ only in unused base64url bits are refused', async t => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  const tokens = service(t)
  for (let round = 0; round < 20; round++) {
    const good = tokens.issue(input).token
    const [h, p, s] = good.split('.') as [string, string, string]
    t.equal(s.length, 43, 'an HS256 signature is 43 characters, the last one carrying 2 unused bits')
    const last = alphabet.indexOf(s[42] as string)
    for (const unusedBits of [1, 2, 3]) {
      const variant = `${h}.${p}.${s.slice(0, 42)}${alphabet[last ^ unusedBits] as string}`
      t.same(Buffer.from(variant.split('.')[2] as string, 'base64url'), Buffer.from(s, 'base64url'), 'decodes to the same bytes')
      t.throws(() => tokens.verify(variant), AccessTokenError)
    }
    t.ok(tokens.verify(good))
  }
  t.ok(isCanonicalBase64url('AAAA'))
  t.ok(isCanonicalBase64url('AAE'))
  t.notOk(isCanonicalBase64url('AAF'))
  t.ok(isCanonicalBase64url('AQ'))
  t.notOk(isCanonicalBase64url('AR'))
  t.notOk(isCanonicalBase64url('A'))
})

t.test('a remembered token is still refused once it expires', async t => {
  let clock = Date.now()
  const tokens = service(t, { now: () => clock, cacheSize: 10 })
  const token = tokens.issue(input).token
  const first = tokens.verify(token)
  t.equal(tokens.verify(token), first, 'the second verify is served from the cache')
  t.ok(Object.isFrozen(first), 'callers cannot change what the next request sees')

  clock += (900 + 15) * 1000
  t.equal(tokens.verify(token), first, 'within the clock skew')
  clock += 30 * 1000
  t.throws(() => tokens.verify(token), /expired/, 'past exp and the skew, although remembered')
  t.throws(() => tokens.verify(token), /expired/, 'and again (the entry is gone; the full check says the same)')
})

t.test('the cache remembers only accepted tokens, by their exact string', async t => {
  const tokens = service(t, { cacheSize: 10 })
  const token = tokens.issue(input).token
  tokens.verify(token)
  const [h, p, s] = token.split('.') as [string, string, string]
  const flipped = s[0] === 'A' ? 'B' : 'A'
  t.throws(() => tokens.verify(`${h}.${p}.${flipped}${s.slice(1)}`), /invalid/, 'a changed signature')
  t.throws(() => tokens.verify(`${token} `), AccessTokenError, 'trailing garbage')
  t.throws(() => tokens.verify('x'.repeat(MAX_TOKEN_LENGTH + 1)), /too large/)
  t.ok(tokens.verify(token), 'the genuine token still passes')
})
