import t, { type Test as Tap } from 'tap'
import type { FastifyInstance } from 'fastify'
import { addUser, build, login, me, tempDir, TEST_SECRET } from '../helper.js'
import { ASYMMETRIC, decodeSegment, forge, hmac, newKeyPair, signWith, writeKeyPair, type AsymmetricAlgorithm, type KeyPairFiles } from './key-files.js'

type Algorithm = 'HS256' | AsymmetricAlgorithm

interface Service {
  app: FastifyInstance
  pair: KeyPairFiles | undefined
  /** A real token from a real login, to re-sign with a forged header. */
  token: string
  header: Record<string, unknown>
  payload: Record<string, unknown>
}

async function service (t: Tap, algorithm: Algorithm): Promise<Service> {
  const pair = algorithm === 'HS256' ? undefined : writeKeyPair(tempDir(t), algorithm)
  const app = await build(t, pair === undefined ? {} : { JWT_ALGORITHM: algorithm, JWT_PRIVATE_KEY_FILE: pair.privateFile })
  await addUser(app, 'alice')
  const { access_token: token } = await login(app, 'alice')
  return { app, pair, token, header: decodeSegment(token, 0), payload: decodeSegment(token, 1) }
}

async function assertRefused (t: Tap, app: FastifyInstance, token: string, description: RegExp): Promise<void> {
  const res = await me(app, token)
  t.equal(res.statusCode, 401)
  t.equal(res.json().error, 'invalid_token')
  t.match(res.json().error_description, description)
  t.match(res.headers['www-authenticate'], /^Bearer error="invalid_token"/)
}

/** Signs with the service's own key, as the service would. */
function genuineSignature (algorithm: Algorithm, pair: KeyPairFiles | undefined) {
  return pair === undefined ? hmac(TEST_SECRET) : signWith(pair.algorithm, pair.privateKey)
}

for (const algorithm of ['HS256', ...ASYMMETRIC] as Algorithm[]) {
  t.test(`${algorithm}: a login's token verifies on /users/me and carries alg, typ and kid`, async t => {
    const { app, token, header, payload } = await service(t, algorithm)
    t.same(Object.keys(header).sort(), ['alg', 'kid', 'typ'])
    t.equal(header.alg, algorithm)
    t.equal(header.typ, 'at+jwt')
    t.equal(header.kid, app.keys.current.kid)
    t.match(header.kid, /^[A-Za-z0-9_-]{43}$/, 'an RFC 7638 SHA-256 thumbprint')
    t.equal(payload.sub, 'alice')
    const res = await me(app, token)
    t.equal(res.statusCode, 200)
    t.equal(res.json().username, 'alice')
  })

  t.test(`${algorithm}: forged tokens are refused with 401 invalid_token`, async t => {
    const { app, pair, header, payload } = await service(t, algorithm)
    const kid = header.kid

    // The control: the forging helper, keyed like the service, makes a token the
    // service accepts. Each refusal below changes one thing from this.
    const control = forge(header, payload, genuineSignature(algorithm, pair))
    t.equal((await me(app, control)).statusCode, 200, 'control: a correctly re-signed token is accepted')

    const other: AsymmetricAlgorithm = algorithm === 'ES256' ? 'EdDSA' : 'ES256'
    const otherKey = newKeyPair(other).privateKey
    await assertRefused(t, app, forge({ ...header, alg: other }, payload, signWith(other, otherKey)), /algorithm this service does not accept/)

    if (pair !== undefined) {
      // Algorithm confusion: HMAC keyed with the public key, which anyone can fetch from the JWKS.
      await assertRefused(t, app, forge({ ...header, alg: 'HS256' }, payload, hmac(pair.publicPem)), /algorithm this service does not accept/)
      const der = pair.publicKey.export({ format: 'der', type: 'spki' })
      await assertRefused(t, app, forge({ ...header, alg: 'HS256' }, payload, hmac(der)), /algorithm this service does not accept/)
      // Same algorithm and kid, but another key: the signature check itself refuses it.
      await assertRefused(t, app, forge(header, payload, signWith(pair.algorithm, newKeyPair(pair.algorithm).privateKey)), /invalid/)
    } else {
      await assertRefused(t, app, forge(header, payload, hmac(TEST_SECRET + 'x')), /invalid/)
    }

    const unsigned = forge({ alg: 'none', typ: 'at+jwt', kid }, payload, () => Buffer.alloc(0))
    await assertRefused(t, app, unsigned, /malformed|algorithm/)
    await assertRefused(t, app, unsigned.replace(/\.$/, '.AAAA'), /algorithm this service does not accept/)
    await assertRefused(t, app, forge({ alg: 'NONE', typ: 'at+jwt', kid }, payload, () => Buffer.from('x')), /algorithm this service does not accept/)

    const unknownKid = forge({ ...header, kid: 'f'.repeat(43) }, payload, genuineSignature(algorithm, pair))
    await assertRefused(t, app, unknownKid, /unknown key/)
    const { kid: _dropped, ...noKid } = header
    await assertRefused(t, app, forge(noKid, payload, genuineSignature(algorithm, pair)), /no valid key id/)
    await assertRefused(t, app, forge({ ...header, kid: 42 }, payload, genuineSignature(algorithm, pair)), /no valid key id/)
    await assertRefused(t, app, forge({ ...header, kid: '../../etc/passwd' }, payload, genuineSignature(algorithm, pair)), /unknown key/)

    // Keys named by the token itself (embedded jwk, jku, x5u) are never used: only configured kids count.
    const attacker = newKeyPair(pair?.algorithm ?? 'ES256')
    const attackerJwk = attacker.publicKey.export({ format: 'jwk' })
    const attackerHeader = { ...header, alg: pair?.algorithm ?? 'ES256', kid: 'attacker', jwk: attackerJwk, jku: 'http://127.0.0.1:9/jwks.json', x5u: 'http://127.0.0.1:9/cert.pem' }
    await assertRefused(t, app, forge(attackerHeader, payload, signWith(pair?.algorithm ?? 'ES256', attacker.privateKey)),
      pair === undefined ? /algorithm this service does not accept/ : /unknown key/)
    // Extra headers on a genuine signature are fine; an unknown critical extension is not (RFC 7515 §4.1.11).
    t.equal((await me(app, forge({ ...header, jku: 'http://127.0.0.1:9/jwks.json' }, payload, genuineSignature(algorithm, pair)))).statusCode, 200)
    await assertRefused(t, app, forge({ ...header, crit: ['urn:x'], 'urn:x': true }, payload, genuineSignature(algorithm, pair)), /invalid/)
  })
}
