import t, { type Test } from 'tap'
import { generateKeyPairSync } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError, loadConfig } from '../../src/config.js'
import { jwkThumbprint, loadKeySet, type KeySet } from '../../src/tokens/keys.js'
import { tempDir, TEST_SECRET } from '../helper.js'
import { writeKeyPair } from './key-files.js'

function keysFor (t: Test, env: Record<string, string>): KeySet {
  return loadKeySet(loadConfig({ DATA_DIR: tempDir(t), NODE_ENV: 'production', ...env }))
}

/** Asserts a ConfigError whose problems name the variable and match the reason. */
function assertRefused (t: Test, env: Record<string, string>, variable: string, reason: RegExp): void {
  try {
    keysFor(t, env)
    t.fail(`accepted ${JSON.stringify(env)}`)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    const problem = err.problems.find(p => p.startsWith(`${variable}: `))
    t.ok(problem, `a problem names ${variable}: ${err.problems.join(' | ')}`)
    t.match(problem ?? '', reason)
    t.notMatch(err.message, /-----BEGIN|MII/, 'key material is never echoed')
  }
}

function pem (dir: string, name: string, key: { export: (options: never) => string | Buffer }, type: 'pkcs8' | 'spki' | 'pkcs1' | 'sec1' = 'pkcs8'): string {
  const file = join(dir, name)
  writeFileSync(file, key.export({ format: 'pem', type } as never))
  return file
}

t.test('every supported key loads; the kid is the RFC 7638 thumbprint of the public key', async t => {
  const dir = tempDir(t)
  const rsa = writeKeyPair(dir, 'RS256')
  const keys = keysFor(t, { JWT_ALGORITHM: 'RS256', JWT_PRIVATE_KEY_FILE: rsa.privateFile })
  t.equal(keys.algorithm, 'RS256')
  t.match(keys.current.signKey, /BEGIN PRIVATE KEY/)
  // RFC 7638 §3.1 example: the thumbprint of a fixed RSA key.
  t.equal(jwkThumbprint({
    kty: 'RSA',
    e: 'AQAB',
    n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw'
  }), 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs')

  const es = writeKeyPair(dir, 'ES256')
  t.equal(keysFor(t, { JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY_FILE: es.privateFile }).current.kid,
    jwkThumbprint(es.publicKey.export({ format: 'jwk' })))
  const ed = writeKeyPair(dir, 'EdDSA')
  t.equal(keysFor(t, { JWT_ALGORITHM: 'EdDSA', JWT_PRIVATE_KEY_FILE: ed.privateFile }).current.kid,
    jwkThumbprint(ed.publicKey.export({ format: 'jwk' })))

  // Traditional PEM forms (PKCS#1 RSA, SEC1 EC) from older tooling are accepted too.
  t.ok(keysFor(t, { JWT_ALGORITHM: 'RS256', JWT_PRIVATE_KEY_FILE: pem(dir, 'pkcs1.key', rsa.privateKey, 'pkcs1') }))
  t.ok(keysFor(t, { JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY_FILE: pem(dir, 'sec1.key', es.privateKey, 'sec1') }))
})

t.test('JWT_PRIVATE_KEY_FILE refusals, each naming the variable', async t => {
  const dir = tempDir(t)
  const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 })
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
  const ed448 = generateKeyPairSync('ed448')
  const es = writeKeyPair(dir, 'ES256')
  const rsa = writeKeyPair(dir, 'RS256')
  const ed = writeKeyPair(dir, 'EdDSA')
  writeFileSync(join(dir, 'notes.txt'), 'this is not a key\n')
  writeFileSync(join(dir, 'garbage.key'), '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n')
  writeFileSync(join(dir, 'huge.key'), Buffer.alloc(100 * 1024, 'A'))
  mkdirSync(join(dir, 'a-directory'))
  const encrypted = join(dir, 'encrypted.key')
  writeFileSync(encrypted, es.privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pass' }))

  const refuse = (algorithm: string, file: string, reason: RegExp) => {
    assertRefused(t, { JWT_ALGORITHM: algorithm, JWT_PRIVATE_KEY_FILE: file }, 'JWT_PRIVATE_KEY_FILE', reason)
  }
  refuse('ES256', join(dir, 'missing.key'), /cannot read .*ENOENT/)
  refuse('ES256', join(dir, 'a-directory'), /not a regular file/)
  refuse('ES256', join(dir, 'notes.txt'), /not a PEM key/)
  refuse('ES256', join(dir, 'garbage.key'), /not a PEM key/)
  refuse('ES256', join(dir, 'huge.key'), /too large/)
  refuse('ES256', encrypted, /encrypted/)
  refuse('RS256', pem(dir, 'rsa1024.key', rsa1024.privateKey), /1024-bit RSA key, RS256 needs at least 2048 bits/)
  refuse('RS256', es.privateFile, /ec key, RS256 needs an RSA key/)
  refuse('ES256', pem(dir, 'p384.key', p384.privateKey), /not a P-256 EC key.*secp384r1/)
  refuse('ES256', rsa.privateFile, /not a P-256 EC key/)
  refuse('ES256', ed.privateFile, /not a P-256 EC key/)
  refuse('EdDSA', pem(dir, 'ed448.key', ed448.privateKey), /ed448 key, EdDSA needs an Ed25519 key/)
  refuse('EdDSA', es.privateFile, /EdDSA needs an Ed25519 key/)
  refuse('ES256', es.publicFile, /holds a public key; the signing key must be private/)
  refuse('RS256', rsa.publicFile, /holds a public key/)
  const pasted = es.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
  refuse('ES256', pasted, /cannot read \(value hidden: it looks like a PEM, not a path\)/)
  assertRefused(t, { JWT_ALGORITHM: 'EdDSA' }, 'JWT_PRIVATE_KEY_FILE', /required for JWT_ALGORITHM=EdDSA.*keys generate --alg EdDSA/)
  assertRefused(t, { JWT_SECRET: TEST_SECRET, JWT_PRIVATE_KEY_FILE: es.privateFile }, 'JWT_PRIVATE_KEY_FILE', /only used with RS256, ES256 or EdDSA/)
})

t.test('JWT_PREVIOUS_KEY_FILES refusals name the variable; every problem is reported at once', async t => {
  const dir = tempDir(t)
  const current = writeKeyPair(dir, 'RS256')
  const es = writeKeyPair(dir, 'ES256')
  const weak = generateKeyPairSync('rsa', { modulusLength: 1024 })
  const weakFile = pem(dir, 'weak.pub', weak.publicKey, 'spki')
  const base = { JWT_ALGORITHM: 'RS256', JWT_PRIVATE_KEY_FILE: current.privateFile }
  assertRefused(t, { ...base, JWT_PREVIOUS_KEY_FILES: join(dir, 'gone.key') }, 'JWT_PREVIOUS_KEY_FILES', /cannot read .*gone\.key.*ENOENT/)
  assertRefused(t, { ...base, JWT_PREVIOUS_KEY_FILES: es.publicFile }, 'JWT_PREVIOUS_KEY_FILES', /RS256 needs an RSA key/)
  assertRefused(t, { ...base, JWT_PREVIOUS_KEY_FILES: weakFile }, 'JWT_PREVIOUS_KEY_FILES', /1024-bit/)
  assertRefused(t, { ...base, JWT_PREVIOUS_SECRETS: TEST_SECRET }, 'JWT_PREVIOUS_SECRETS', /only used with HS256.*JWT_PREVIOUS_KEY_FILES/)

  try {
    keysFor(t, { JWT_ALGORITHM: 'RS256', JWT_PRIVATE_KEY_FILE: es.privateFile, JWT_PREVIOUS_KEY_FILES: `${weakFile},${join(dir, 'gone.key')}` })
    t.fail('accepted')
  } catch (err) {
    t.ok(err instanceof ConfigError)
    t.equal((err as ConfigError).problems.length, 3, (err as ConfigError).message)
  }

  // A retired private key file only verifies; the current key listed again is not duplicated.
  const retired = writeKeyPair(dir, 'RS256')
  const keys = keysFor(t, { ...base, JWT_PREVIOUS_KEY_FILES: `${retired.privateFile},${current.privateFile}` })
  const retiredKid = jwkThumbprint(retired.publicKey.export({ format: 'jwk' }))
  t.same([...keys.byKid.keys()], [keys.current.kid, retiredKid], 'current first, no duplicate')
  t.notOk('signKey' in (keys.byKid.get(retiredKid) ?? {}), 'a retired key carries no signing material')
})

t.test('HS256 secrets: JWT_SECRET and JWT_PREVIOUS_SECRETS are checked alike', async t => {
  assertRefused(t, {}, 'JWT_SECRET', /required when NODE_ENV=production/)
  assertRefused(t, { JWT_SECRET: 'too-short-but-varied-0123' }, 'JWT_SECRET', /at least 32 bytes/)
  assertRefused(t, { JWT_SECRET: '09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7' }, 'JWT_SECRET', /published example secret/)
  assertRefused(t, { JWT_SECRET: TEST_SECRET, JWT_PREVIOUS_SECRETS: 'your-secret-key' }, 'JWT_PREVIOUS_SECRETS[0]', /published example/)
  assertRefused(t, { JWT_SECRET: TEST_SECRET, JWT_PREVIOUS_SECRETS: `${TEST_SECRET}-old,short` }, 'JWT_PREVIOUS_SECRETS[1]', /at least 32 bytes/)
  const dir = tempDir(t)
  assertRefused(t, { JWT_SECRET: TEST_SECRET, JWT_PREVIOUS_KEY_FILES: writeKeyPair(dir, 'ES256').publicFile }, 'JWT_PREVIOUS_KEY_FILES', /JWT_PREVIOUS_SECRETS/)

  const keys = keysFor(t, { JWT_SECRET: TEST_SECRET, JWT_PREVIOUS_SECRETS: `${TEST_SECRET}-old-1, ${TEST_SECRET}-old-2` })
  t.equal(keys.byKid.size, 3)
  t.equal([...keys.byKid.keys()][0], keys.current.kid)
  t.notMatch(keys.current.kid, Buffer.from(TEST_SECRET).toString('base64url'), 'the kid is a hash, not the secret')
})

t.test('a public key file content is never mistaken for a private key', async t => {
  const dir = tempDir(t)
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const both = join(dir, 'both.pem')
  // A file with the public key first and the private key after it is still a private key file.
  writeFileSync(both, pair.publicKey.export({ format: 'pem', type: 'spki' }).toString() + pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString())
  const keys = keysFor(t, { JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY_FILE: both })
  t.match(keys.current.signKey, /PRIVATE KEY/)
  t.equal(keys.current.kid, jwkThumbprint(pair.publicKey.export({ format: 'jwk' })))
})
