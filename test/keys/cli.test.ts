import t from 'tap'
import { createPrivateKey, createPublicKey, type AsymmetricKeyDetails } from 'node:crypto'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../../src/config.js'
import { jwkThumbprint, loadKeySet, secretProblem } from '../../src/tokens/keys.js'
import { tempDir } from '../helper.js'
import { ASYMMETRIC } from './key-files.js'
import { baseEnv, runCli } from '../child-process.js'

const EXPECTED_KEY = {
  RS256: (type: string | undefined, details: AsymmetricKeyDetails) => type === 'rsa' && (details.modulusLength ?? 0) >= 2048,
  ES256: (type: string | undefined, details: AsymmetricKeyDetails) => type === 'ec' && details.namedCurve === 'prime256v1',
  EdDSA: (type: string | undefined) => type === 'ed25519'
}

for (const algorithm of ASYMMETRIC) {
  t.test(`keys generate --alg ${algorithm}: a 0600 PKCS#8 key, its public half and the rotation steps`, async t => {
    const dir = tempDir(t)
    const out = join(dir, `${algorithm}.key`)
    const res = await runCli(['keys', 'generate', '--alg', algorithm, '--out', out], { env: baseEnv({}), cwd: dir })
    t.equal(res.code, 0, res.stderr)

    t.equal(statSync(out).mode & 0o777, 0o600)
    const pem = readFileSync(out, 'utf8')
    t.match(pem, /^-----BEGIN PRIVATE KEY-----\n/, 'PKCS#8')
    const privateKey = createPrivateKey(pem)
    t.ok(EXPECTED_KEY[algorithm](privateKey.asymmetricKeyType, privateKey.asymmetricKeyDetails ?? {}), `${String(privateKey.asymmetricKeyType)} ${String(privateKey.asymmetricKeyDetails?.namedCurve ?? privateKey.asymmetricKeyDetails?.modulusLength ?? '')}`)

    const printedPublic = /-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----\n/.exec(res.stdout)?.[0]
    t.equal(printedPublic, createPublicKey(privateKey).export({ format: 'pem', type: 'spki' }), 'prints the matching public key')
    const kid = jwkThumbprint(createPublicKey(privateKey).export({ format: 'jwk' }))
    t.match(res.stdout, `kid: ${kid}`)
    t.notMatch(res.stdout, /PRIVATE KEY-----/, 'the private key is never printed')
    t.match(res.stdout, /JWT_PRIVATE_KEY_FILE=OLD JWT_PREVIOUS_KEY_FILES=/, 'step: publish the new key first')
    t.match(res.stdout, new RegExp(`JWT_PRIVATE_KEY_FILE=${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} JWT_PREVIOUS_KEY_FILES=OLD`), 'step: switch')
    t.match(res.stdout, /ACCESS_TOKEN_EXPIRE_MINUTES/, 'step: wait, then drop the old key')

    // The service accepts what the CLI wrote, with the kid the CLI announced.
    const keys = loadKeySet(loadConfig({ NODE_ENV: 'production', DATA_DIR: dir, JWT_ALGORITHM: algorithm, JWT_PRIVATE_KEY_FILE: out }))
    t.equal(keys.current.kid, kid)
  })
}

t.test('keys generate never overwrites a file', async t => {
  const dir = tempDir(t)
  const out = join(dir, 'current.key')
  writeFileSync(out, 'the key in use\n', { mode: 0o600 })
  const res = await runCli(['keys', 'generate', '--alg', 'ES256', '--out', out], { env: baseEnv({}), cwd: dir })
  t.not(res.code, 0)
  t.match(res.stderr, /already exists; refusing to overwrite/)
  t.equal(readFileSync(out, 'utf8'), 'the key in use\n')
})

t.test('keys generate --alg HS256 points to secret generate; secret generate makes an acceptable secret', async t => {
  const dir = tempDir(t)
  const out = join(dir, 'hs.key')
  const res = await runCli(['keys', 'generate', '--alg', 'HS256', '--out', out], { env: baseEnv({}), cwd: dir })
  t.equal(res.code, 2)
  t.match(res.stderr, /secret generate/)
  t.notOk(existsSync(out))
  t.equal((await runCli(['keys', 'generate', '--alg', 'PS256', '--out', out], { env: baseEnv({}), cwd: dir })).code, 2)
  t.equal((await runCli(['keys', 'generate', '--alg', 'ES256'], { env: baseEnv({}), cwd: dir })).code, 2, '--out is required')

  const secret = await runCli(['secret', 'generate'], { env: baseEnv({}), cwd: dir })
  t.equal(secret.code, 0)
  t.match(secret.stdout, /^[A-Za-z0-9_-]{64}\n$/)
  t.equal(secretProblem(secret.stdout.trim(), 'JWT_SECRET'), undefined)
})
