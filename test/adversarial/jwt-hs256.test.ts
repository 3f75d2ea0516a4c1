import t from 'tap'
import { addUser, build, login } from '../helper.js'
import { decodePayload, encode, hmac, hs256, hs256Raw, parts, segment, validClaims } from './craft.js'
import { expectAccepted, expectInvalidToken } from './expect.js'

/**
 * Item 5 of issue 7: every token an attacker can forge or replay against an
 * HS256 instance is a 401 invalid_token, and the service keeps answering.
 */
const app = await build(t)
await addUser(app, 'alice', { scopes: ['users:admin'] })
await addUser(app, 'mallory')
const alice = await login(app, 'alice')
const mallory = await login(app, 'mallory')
const secret = app.config.jwt.secret as string
const kid = app.keys.current.kid
const header = { alg: 'HS256', typ: 'at+jwt', kid }
const claims = validClaims({
  iss: app.config.publicUrl,
  aud: app.config.jwt.audience,
  sub: 'alice',
  sid: String(decodePayload(alice.access_token).sid),
  scope: 'users:admin'
})
const now = claims.iat as number
const forge = (changes: Record<string, unknown>, headerChanges: Record<string, unknown> = {}) =>
  hs256({ ...header, ...headerChanges }, { ...claims, ...changes }, secret)
const without = (name: string) => Object.fromEntries(Object.entries(claims).filter(([k]) => k !== name))
const [aliceHeader, alicePayload, aliceSignature] = parts(alice.access_token)
const [, malloryPayload, mallorySignature] = parts(mallory.access_token)
const signedInput = (h: string, p: string) => `${h}.${p}.${hmac(`${h}.${p}`, secret)}`

t.test('the crafted baseline token is accepted (so each case below fails for its own reason)', async t => {
  await expectAccepted(t, app, forge({}), 'alice')
})

const cases: Array<[string, string]> = [
  // alg: none and friends
  ['alg none, empty signature', `${encode({ ...header, alg: 'none' })}.${encode(claims)}.`],
  ['alg none, signature kept', `${encode({ ...header, alg: 'none' })}.${encode(claims)}.${aliceSignature}`],
  ['alg None (case variant)', `${encode({ ...header, alg: 'None' })}.${encode(claims)}.${aliceSignature}`],
  ['alg missing from the header', hs256({ typ: 'at+jwt', kid }, claims, secret)],
  ['alg HS512 with the real secret', hs256({ ...header, alg: 'HS512' }, claims, secret)],
  ['alg as an array', hs256({ ...header, alg: ['HS256'] }, claims, secret)],
  // signatures
  ['signature stripped (two dots kept)', `${aliceHeader}.${alicePayload}.`],
  ['signature truncated', `${aliceHeader}.${alicePayload}.${aliceSignature.slice(0, -4)}`],
  ['signature one character changed', `${aliceHeader}.${alicePayload}.${aliceSignature.slice(0, -1)}${aliceSignature.endsWith('A') ? 'B' : 'A'}`],
  ['signature swapped from another user\'s token', `${aliceHeader}.${alicePayload}.${mallorySignature}`],
  ['payload swapped, signature kept', `${aliceHeader}.${malloryPayload}.${aliceSignature}`],
  ['signature from another secret', hs256(header, claims, 'another-secret-of-enough-length-1234567890')],
  ['signature padded with =', `${aliceHeader}.${alicePayload}.${aliceSignature}=`],
  // tampering
  ['tampered header (typ changed, signature kept)', `${encode({ ...header, typ: 'JWT' })}.${alicePayload}.${aliceSignature}`],
  ['tampered header (extra member, signature kept)', `${encode({ ...header, jku: 'http://127.0.0.1:1/jwks' })}.${alicePayload}.${aliceSignature}`],
  ['tampered payload (sub changed, signature kept)', `${aliceHeader}.${encode({ ...decodePayload(alice.access_token), sub: 'mallory' })}.${aliceSignature}`],
  ['tampered payload (scope widened, signature kept)', `${aliceHeader}.${encode({ ...decodePayload(mallory.access_token), scope: 'users:admin' })}.${mallorySignature}`],
  // time
  ['expired', forge({ iat: now - 3600, exp: now - 600 })],
  ['expired just beyond the clock skew', forge({ iat: now - 3600, exp: now - 31 })],
  ['not yet valid (nbf in the future)', forge({ nbf: now + 600 })],
  ['issued in the future (iat beyond the skew)', forge({ iat: now + 600, exp: now + 1200 })],
  ['missing exp', hs256(header, without('exp'), secret)],
  ['missing iat', hs256(header, without('iat'), secret)],
  ['exp as a string', forge({ exp: String(now + 600) })],
  ['exp not a number', forge({ exp: 'never' })],
  // claims and header members
  ['wrong iss', forge({ iss: 'https://evil.example' })],
  ['missing iss', hs256(header, without('iss'), secret)],
  ['wrong aud', forge({ aud: 'another-service' })],
  ['aud as an array without ours', forge({ aud: ['another-service'] })],
  ['missing aud', hs256(header, without('aud'), secret)],
  ['wrong typ JWT', forge({}, { typ: 'JWT' })],
  ['missing typ', hs256({ alg: 'HS256', kid }, claims, secret)],
  ['typ as a number', forge({}, { typ: 1 })],
  ['missing sub', hs256(header, without('sub'), secret)],
  ['sub of another user with alice\'s session', forge({ sub: 'mallory' })],
  ['missing sid', hs256(header, without('sid'), secret)],
  ['unknown sid', forge({ sid: 'no-such-session' })],
  ['sid as an object', forge({ sid: { $ne: null } })],
  ['scope as an array', forge({ scope: ['users:admin'] })],
  ['missing auth_time', hs256(header, without('auth_time'), secret)],
  // kid
  ['kid unknown', forge({}, { kid: 'unknown-key' })],
  ['kid a path', forge({}, { kid: '../../../../etc/passwd' })],
  ['kid an absolute path', forge({}, { kid: '/dev/null' })],
  ['kid SQL', forge({}, { kid: "' OR '1'='1' -- " })],
  ['kid a URL', forge({}, { kid: 'http://127.0.0.1:1/key' })],
  ['kid empty', forge({}, { kid: '' })],
  ['kid a number', forge({}, { kid: 1 })],
  ['kid missing', hs256({ alg: 'HS256', typ: 'at+jwt' }, claims, secret)],
  ['kid 200 characters', forge({}, { kid: 'k'.repeat(200) })],
  ['kid 10 KB', forge({}, { kid: 'k'.repeat(10 * 1024) })],
  // size
  ['oversized token (5 KB)', forge({ padding: 'x'.repeat(5 * 1024) })],
  ['oversized token (1 MB)', `${aliceHeader}.${'A'.repeat(1024 * 1024)}.${aliceSignature}`],
  // shape
  ['one segment', aliceHeader],
  ['two segments', `${aliceHeader}.${alicePayload}`],
  ['four segments', `${alice.access_token}.${aliceSignature}`],
  ['five segments (JWE-shaped)', `${aliceHeader}.${alicePayload}.${aliceSignature}.${aliceSignature}.${aliceSignature}`],
  ['empty segments', '..'],
  ['empty header segment', `.${alicePayload}.${aliceSignature}`],
  ['empty payload segment', `${aliceHeader}..${aliceSignature}`],
  ['a single dot', '.'],
  ['non-base64url header (+ and /)', `${aliceHeader.slice(0, 4)}+/${aliceHeader.slice(4)}.${alicePayload}.${aliceSignature}`],
  ['non-base64url payload (%)', `${aliceHeader}.%7B%7D.${aliceSignature}`],
  ['non-base64url signature (*)', `${aliceHeader}.${alicePayload}.${aliceSignature}*`],
  ['standard base64 with padding', `${Buffer.from(JSON.stringify(header)).toString('base64')}.${Buffer.from(JSON.stringify(claims)).toString('base64')}.${aliceSignature}`],
  ['base64url of random bytes as header', `${Buffer.from([0xff, 0xfe, 0x00, 0x81]).toString('base64url')}.${alicePayload}.${aliceSignature}`],
  ['random text', 'not-a-jwt-at-all'],
  // non-object JSON, correctly signed
  ['header is not JSON', signedInput(segment('{alg:HS256}'), alicePayload)],
  ['header is an array', signedInput(encode([header]), alicePayload)],
  ['header is a string', signedInput(encode('HS256'), alicePayload)],
  ['header is null', signedInput(encode(null), alicePayload)],
  ['header is a number', signedInput(encode(42), alicePayload)],
  ['payload is not JSON', hs256Raw(JSON.stringify(header), '{sub:alice}', secret)],
  ['payload is an array', hs256(header, [claims], secret)],
  ['payload is a string', hs256(header, 'alice', secret)],
  ['payload is null', hs256(header, null, secret)],
  ['payload is a number', hs256(header, 1e9, secret)],
  ['payload is true', hs256(header, true, secret)],
  ['payload is empty', hs256Raw(JSON.stringify(header), '', secret)],
  ['payload has a trailing garbage byte', hs256Raw(JSON.stringify(header), JSON.stringify(claims) + '}', secret)],
  // duplicate JSON keys (parsers disagree on which one wins)
  ['duplicate sub in the payload', hs256Raw(JSON.stringify(header), JSON.stringify(claims).replace('"sub":"alice"', '"sub":"mallory","sub":"alice"'), secret)],
  ['duplicate exp in the payload', hs256Raw(JSON.stringify(header), JSON.stringify(claims).replace(/"exp":\d+/, `"exp":${now - 600},"exp":${now + 600}`), secret)],
  ['duplicate alg in the header', hs256Raw(`{"alg":"none","alg":"HS256","typ":"at+jwt","kid":"${kid}"}`, JSON.stringify(claims), secret)],
  ['duplicate kid in the header', hs256Raw(`{"alg":"HS256","typ":"at+jwt","kid":"x","kid":"${kid}"}`, JSON.stringify(claims), secret)],
  ['duplicate key written with a unicode escape', hs256Raw(JSON.stringify(header), JSON.stringify(claims).replace('"sub":"alice"', '"sub":"mallory","s\\u0075b":"alice"'), secret)]
]

for (const [name, token] of cases) {
  t.test(name, async t => { await expectInvalidToken(t, app, `Bearer ${token}`) })
}

t.test('the same tokens are refused on an admin route and on logout', async t => {
  for (const [, token] of cases.slice(0, 12)) {
    await expectInvalidToken(t, app, `Bearer ${token}`, '/users')
  }
  const res = await app.inject({ method: 'POST', url: '/logout', headers: { authorization: `Bearer ${forge({ sid: 'no-such-session' })}` } })
  t.equal(res.statusCode, 401)
  t.match(res.headers['www-authenticate'], /error="invalid_token"/)
})

t.test('after the whole suite the service still answers valid tokens normally', async t => {
  await expectAccepted(t, app, alice.access_token, 'alice')
  await expectAccepted(t, app, mallory.access_token, 'mallory')
  const admin = await app.inject({ method: 'GET', url: '/users', headers: { authorization: `Bearer ${alice.access_token}` } })
  t.equal(admin.statusCode, 200)
  const fresh = await login(app, 'mallory')
  await expectAccepted(t, app, fresh.access_token, 'mallory')
})
