import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { chmodSync, writeFileSync } from 'node:fs'
import type { Algorithm } from '../tokens/keys.js'

export function generateSecret (): string {
  return randomBytes(48).toString('base64url')
}

/** Writes a PKCS#8 PEM private key with mode 0600 and returns the public key PEM. */
export function generateKeyPair (algorithm: Exclude<Algorithm, 'HS256'>, out: string): string {
  const pair = algorithm === 'RS256'
    ? generateKeyPairSync('rsa', { modulusLength: 3072 })
    : algorithm === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('ed25519')
  const privatePem = pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
  writeFileSync(out, privatePem, { mode: 0o600, flag: 'wx' })
  chmodSync(out, 0o600)
  return pair.publicKey.export({ format: 'pem', type: 'spki' }).toString()
}
