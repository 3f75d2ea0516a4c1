import { generateKeyPairSync } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { tempDir } from '../helper.js'
import { expectRefusal } from './refusal.js'

/** SPEC, Tokens/Configuration: asymmetric algorithms need a readable private key of the right kind and size. */
function pemFile (dir: string, name: string, pem: string | Buffer): string {
  const file = join(dir, name)
  writeFileSync(file, pem, { mode: 0o600 })
  return file
}

t.test('RS256 without JWT_PRIVATE_KEY_FILE', async t => {
  await expectRefusal(t, { JWT_ALGORITHM: 'RS256' }, 'JWT_PRIVATE_KEY_FILE')
})

t.test('a key file that does not exist', async t => {
  await expectRefusal(t, { JWT_ALGORITHM: 'RS256', JWT_PRIVATE_KEY_FILE: join(tempDir(t), 'missing.pem') }, 'JWT_PRIVATE_KEY_FILE')
})

t.test('a key file that is a directory', async t => {
  const dir = join(tempDir(t), 'key.pem')
  mkdirSync(dir)
  await expectRefusal(t, { JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY_FILE: dir }, 'JWT_PRIVATE_KEY_FILE')
})

t.test('a key file that is not PEM', async t => {
  await expectRefusal(t, { JWT_ALGORITHM: 'EdDSA', JWT_PRIVATE_KEY_FILE: pemFile(tempDir(t), 'junk.pem', 'not a key\n') }, 'JWT_PRIVATE_KEY_FILE')
})

t.test('a 1024-bit RSA key', async t => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 })
  const file = pemFile(tempDir(t), 'weak.pem', privateKey.export({ format: 'pem', type: 'pkcs8' }))
  await expectRefusal(t, { JWT_ALGORITHM: 'RS256', JWT_PRIVATE_KEY_FILE: file }, 'JWT_PRIVATE_KEY_FILE')
})

t.test('an EC key for RS256', async t => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const file = pemFile(tempDir(t), 'ec.pem', privateKey.export({ format: 'pem', type: 'pkcs8' }))
  await expectRefusal(t, { JWT_ALGORITHM: 'RS256', JWT_PRIVATE_KEY_FILE: file }, 'JWT_PRIVATE_KEY_FILE')
})

t.test('a public key as the signing key', async t => {
  const { publicKey } = generateKeyPairSync('ed25519')
  const file = pemFile(tempDir(t), 'public.pem', publicKey.export({ format: 'pem', type: 'spki' }))
  await expectRefusal(t, { JWT_ALGORITHM: 'EdDSA', JWT_PRIVATE_KEY_FILE: file }, 'JWT_PRIVATE_KEY_FILE')
})
