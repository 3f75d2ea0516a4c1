import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { addUser, build, login, tempDir } from '../helper.js'
import { asymmetric, decodePayload, encode, hs256, validClaims } from './craft.js'
import { expectAccepted, expectInvalidToken } from './expect.js'

type Asymmetric = 'RS256' | 'ES256' | 'EdDSA'

function keyPair (alg: Asymmetric): { privateKey: KeyObject, publicKey: KeyObject } {
  if (alg === 'RS256') return generateKeyPairSync('rsa', { modulusLength: 2048 })
  if (alg === 'ES256') return generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return generateKeyPairSync('ed25519')
}

const OTHER: Record<Asymmetric, Asymmetric> = { RS256: 'ES256', ES256: 'EdDSA', EdDSA: 'RS256' }

for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
  t.test(`a ${alg} instance refuses algorithm confusion and foreign keys`, async t => {
    const { privateKey, publicKey } = keyPair(alg)
    const keyFile = join(tempDir(t), 'signing.pem')
    writeFileSync(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 })
    const app = await build(t, { JWT_ALGORITHM: alg, JWT_PRIVATE_KEY_FILE: keyFile })
    await addUser(app, 'alice')
    const tokens = await login(app, 'alice')
    const kid = app.keys.current.kid
    const claims = validClaims({ iss: app.config.publicUrl, aud: app.config.jwt.audience, sub: 'alice', sid: String(decodePayload(tokens.access_token).sid) })
    const header = { alg, typ: 'at+jwt', kid }
    const publicPem = publicKey.export({ format: 'pem', type: 'spki' }).toString()
    const publicJwk = publicKey.export({ format: 'jwk' })
    const attacker = keyPair(alg)
    const foreign = keyPair(OTHER[alg])

    await expectAccepted(t, app, asymmetric(alg, header, claims, privateKey), 'alice')

    const cases: Array<[string, string]> = [
      ['HS256 signed with the public key PEM', hs256({ ...header, alg: 'HS256' }, claims, publicPem)],
      ['HS256 signed with the public key PEM without its trailing newline', hs256({ ...header, alg: 'HS256' }, claims, publicPem.trimEnd())],
      ['HS256 signed with the public key DER', hs256({ ...header, alg: 'HS256' }, claims, publicKey.export({ format: 'der', type: 'spki' }))],
      ['HS256 signed with the public JWK JSON', hs256({ ...header, alg: 'HS256' }, claims, JSON.stringify(publicJwk))],
      ['HS256 signed with the kid', hs256({ ...header, alg: 'HS256' }, claims, kid)],
      ['alg none', `${encode({ ...header, alg: 'none' })}.${encode(claims)}.`],
      ["same alg, attacker's key, real kid", asymmetric(alg, header, claims, attacker.privateKey)],
      ["attacker's key embedded as a jwk header", asymmetric(alg, { ...header, jwk: attacker.publicKey.export({ format: 'jwk' }) }, claims, attacker.privateKey)],
      ["attacker's key by jku", asymmetric(alg, { ...header, jku: 'http://127.0.0.1:1/jwks.json' }, claims, attacker.privateKey)],
      [`${OTHER[alg]} with a foreign key and the real kid`, asymmetric(OTHER[alg], { ...header, alg: OTHER[alg] }, claims, foreign.privateKey)]
    ]
    for (const [name, token] of cases) {
      t.test(name, async t => { await expectInvalidToken(t, app, `Bearer ${token}`) })
    }
    t.test('the real token still works afterwards', async t => { await expectAccepted(t, app, tokens.access_token, 'alice') })
  })
}

t.test('an HS256 instance refuses asymmetric tokens and embedded keys', async t => {
  const app = await build(t)
  await addUser(app, 'alice')
  const tokens = await login(app, 'alice')
  const kid = app.keys.current.kid
  const claims = validClaims({ iss: app.config.publicUrl, aud: app.config.jwt.audience, sub: 'alice', sid: String(decodePayload(tokens.access_token).sid) })
  for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
    const attacker = keyPair(alg)
    const header = { alg, typ: 'at+jwt', kid }
    await expectInvalidToken(t, app, `Bearer ${asymmetric(alg, header, claims, attacker.privateKey)}`)
    await expectInvalidToken(t, app, `Bearer ${asymmetric(alg, { ...header, jwk: attacker.publicKey.export({ format: 'jwk' }) }, claims, attacker.privateKey)}`)
  }
  await expectAccepted(t, app, tokens.access_token, 'alice')
})
