import t from 'tap'
import { createPublicKey } from 'node:crypto'
import { build, tempDir } from '../helper.js'
import { ASYMMETRIC, writeKeyPair } from './key-files.js'

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']
const EXPECTED_MEMBERS = {
  RS256: ['alg', 'e', 'kid', 'kty', 'n', 'use'],
  ES256: ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'],
  EdDSA: ['alg', 'crv', 'kid', 'kty', 'use', 'x']
}
const KTY = { RS256: 'RSA', ES256: 'EC', EdDSA: 'OKP' }

for (const algorithm of ASYMMETRIC) {
  t.test(`${algorithm}: JWKS lists the current then the previous public keys, public members only`, async t => {
    const dir = tempDir(t)
    const current = writeKeyPair(dir, algorithm)
    const previousPrivate = writeKeyPair(dir, algorithm)
    const previousPublic = writeKeyPair(dir, algorithm)
    // A retired key may be given as its private or only its public half.
    const app = await build(t, {
      JWT_ALGORITHM: algorithm,
      JWT_PRIVATE_KEY_FILE: current.privateFile,
      JWT_PREVIOUS_KEY_FILES: `${previousPrivate.privateFile}, ${previousPublic.publicFile}`
    })
    const res = await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /^application\/json/)
    t.match(res.headers['cache-control'], /^public, max-age=\d+/)
    const { keys } = res.json()
    t.equal(keys.length, 3)
    t.equal(keys[0].kid, app.keys.current.kid, 'the signing key comes first')
    t.equal(new Set(keys.map((k: { kid: string }) => k.kid)).size, 3, 'distinct kids')

    const expected = [current, previousPrivate, previousPublic]
    keys.forEach((jwk: Record<string, string>, i: number) => {
      t.same(Object.keys(jwk).sort(), EXPECTED_MEMBERS[algorithm])
      t.equal(jwk.kty, KTY[algorithm])
      t.equal(jwk.alg, algorithm)
      t.equal(jwk.use, 'sig')
      for (const member of PRIVATE_MEMBERS) t.notOk(member in jwk, `no private member ${member}`)
      // Each JWK is exactly the public half of the configured file.
      const fromJwk = createPublicKey({ key: jwk as never, format: 'jwk' }).export({ format: 'pem', type: 'spki' })
      t.equal(fromJwk, expected[i]?.publicPem)
    })
    t.notMatch(res.body, /PRIVATE/)
  })
}

t.test('HS256: the JWKS is empty and the secret appears nowhere', async t => {
  const secret = 'previous-secret-0123456789abcdefghijklmnopqrstuvwxyz'
  const app = await build(t, { JWT_PREVIOUS_SECRETS: secret })
  const res = await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { keys: [] })
  t.equal(res.body, '{"keys":[]}')
  t.notMatch(res.body, Buffer.from(secret).toString('base64url'))
})

t.test('discovery: RFC 8414 metadata built from PUBLIC_URL, not from request headers', async t => {
  const base = 'https://auth.example.test/gate'
  const app = await build(t, { PUBLIC_URL: `${base}/`, TRUST_PROXY: 'true' })
  const res = await app.inject({
    method: 'GET',
    url: '/.well-known/oauth-authorization-server',
    headers: { host: 'evil.test', 'x-forwarded-host': 'evil.test', 'x-forwarded-proto': 'http', forwarded: 'host=evil.test' }
  })
  t.equal(res.statusCode, 200)
  t.match(res.headers['cache-control'], /^public, max-age=\d+/)
  const body = res.json()
  t.notMatch(res.body, /evil/)
  t.equal(body.issuer, base, 'the issuer equals the iss claim: PUBLIC_URL without its trailing slash')
  t.equal(body.token_endpoint, `${base}/token`)
  t.equal(body.revocation_endpoint, `${base}/revoke`)
  t.equal(body.jwks_uri, `${base}/.well-known/jwks.json`)
  t.equal(body.introspection_endpoint, `${base}/introspect`)
  t.same(body.grant_types_supported, ['password', 'refresh_token', 'client_credentials', 'urn:gatehouse:params:oauth:grant-type:mfa-otp'])
  t.same(body.response_types_supported, [])
  t.ok(body.scopes_supported.includes('users:admin'))
  t.same(body.token_endpoint_auth_methods_supported, ['none', 'client_secret_basic', 'client_secret_post'])
  t.same(body.revocation_endpoint_auth_methods_supported, ['none', 'client_secret_basic', 'client_secret_post'])
  t.same(body.introspection_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post'])
  t.ok(body.scopes_supported.includes('introspect'))
  for (const field of ['issuer', 'token_endpoint', 'revocation_endpoint', 'introspection_endpoint', 'jwks_uri', 'grant_types_supported',
    'scopes_supported', 'token_endpoint_auth_methods_supported', 'response_types_supported', 'introspection_endpoint_auth_methods_supported']) {
    t.ok(field in body, field)
  }
  t.equal(app.config.publicUrl, body.issuer)
})

t.test('discovery: the default PUBLIC_URL follows PORT', async t => {
  const app = await build(t, { PORT: '8123' })
  const body = (await app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server', headers: { host: 'evil.test' } })).json()
  t.equal(body.issuer, 'http://localhost:8123')
  t.equal(body.jwks_uri, 'http://localhost:8123/.well-known/jwks.json')
})
