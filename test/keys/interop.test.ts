import t from 'tap'
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose'
import type { FastifyInstance } from 'fastify'
import { addUser, build, login, tempDir, TEST_SECRET } from '../helper.js'
import { ASYMMETRIC, writeKeyPair } from './key-files.js'

const ISSUER = 'https://gatehouse.example.test'
const AUDIENCE = 'orders-api'

/** What a foreign resource server has: the JWKS document, and the issuer and audience it trusts. */
async function fetchJwks (app: FastifyInstance): Promise<JSONWebKeySet> {
  const res = await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })
  if (res.statusCode !== 200) throw new Error(`JWKS: ${res.statusCode} ${res.body}`)
  return res.json()
}

async function tokenFrom (app: FastifyInstance): Promise<string> {
  await addUser(app, 'alice', { scopes: ['users:admin'] })
  return (await login(app, 'alice')).access_token
}

const verifyOptions = { issuer: ISSUER, audience: AUDIENCE, typ: 'at+jwt', requiredClaims: ['exp', 'iat', 'sub', 'jti'] }

for (const algorithm of ASYMMETRIC) {
  t.test(`${algorithm}: jose verifies a gatehouse token with nothing but the JWKS document`, async t => {
    const dir = tempDir(t)
    const env = { JWT_ALGORITHM: algorithm, PUBLIC_URL: ISSUER, JWT_AUDIENCE: AUDIENCE }
    const app = await build(t, { ...env, JWT_PRIVATE_KEY_FILE: writeKeyPair(dir, algorithm).privateFile })
    const token = await tokenFrom(app)
    const jwks = createLocalJWKSet(await fetchJwks(app))

    const { payload, protectedHeader } = await jwtVerify(token, jwks, { ...verifyOptions, algorithms: [algorithm] })
    t.equal(protectedHeader.alg, algorithm)
    t.equal(protectedHeader.kid, app.keys.current.kid)
    t.equal(payload.sub, 'alice')
    t.equal(payload.scope, 'users:admin')
    t.equal(payload.iss, ISSUER)
    t.equal(payload.aud, AUDIENCE)

    // The same verifier refuses what it should, so the success above means something.
    await t.rejects(jwtVerify(token, jwks, { ...verifyOptions, audience: 'another-api' }), { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' })
    const stranger = await build(t, { ...env, JWT_PRIVATE_KEY_FILE: writeKeyPair(dir, algorithm).privateFile })
    await t.rejects(jwtVerify(await tokenFrom(stranger), jwks, verifyOptions), { code: 'ERR_JWKS_NO_MATCHING_KEY' })
  })

  t.test(`${algorithm}: after a rotation, jose verifies old and new tokens with the new JWKS`, async t => {
    const dir = tempDir(t)
    const oldKey = writeKeyPair(dir, algorithm)
    const newKey = writeKeyPair(dir, algorithm)
    const env = { JWT_ALGORITHM: algorithm, PUBLIC_URL: ISSUER, JWT_AUDIENCE: AUDIENCE }
    const before = await build(t, { ...env, JWT_PRIVATE_KEY_FILE: oldKey.privateFile })
    const oldToken = await tokenFrom(before)
    const after = await build(t, { ...env, JWT_PRIVATE_KEY_FILE: newKey.privateFile, JWT_PREVIOUS_KEY_FILES: oldKey.publicFile })
    const newToken = await tokenFrom(after)
    const jwks = createLocalJWKSet(await fetchJwks(after))
    const verifiedOld = await jwtVerify(oldToken, jwks, { ...verifyOptions, algorithms: [algorithm] })
    const verifiedNew = await jwtVerify(newToken, jwks, { ...verifyOptions, algorithms: [algorithm] })
    t.equal(verifiedOld.protectedHeader.kid, before.keys.current.kid)
    t.equal(verifiedNew.protectedHeader.kid, after.keys.current.kid)
    t.not(verifiedOld.protectedHeader.kid, verifiedNew.protectedHeader.kid)
  })
}

t.test('HS256: a holder of the shared secret verifies with jose', async t => {
  const app = await build(t, { PUBLIC_URL: ISSUER, JWT_AUDIENCE: AUDIENCE })
  const token = await tokenFrom(app)
  const secret = new TextEncoder().encode(TEST_SECRET)
  const { payload, protectedHeader } = await jwtVerify(token, secret, { ...verifyOptions, algorithms: ['HS256'] })
  t.equal(protectedHeader.alg, 'HS256')
  t.equal(payload.sub, 'alice')
  await t.rejects(jwtVerify(token, new TextEncoder().encode(TEST_SECRET + 'x'), verifyOptions), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' })
})
