import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

export type AsymmetricAlgorithm = 'RS256' | 'ES256' | 'EdDSA'
export const ASYMMETRIC: AsymmetricAlgorithm[] = ['RS256', 'ES256', 'EdDSA']

export interface KeyPairFiles {
  algorithm: AsymmetricAlgorithm
  privateKey: KeyObject
  publicKey: KeyObject
  /** PKCS#8 PEM private key. */
  privateFile: string
  /** SPKI PEM public key. */
  publicFile: string
  publicPem: string
}

let counter = 0

export function newKeyPair (algorithm: AsymmetricAlgorithm): { privateKey: KeyObject, publicKey: KeyObject } {
  if (algorithm === 'RS256') return generateKeyPairSync('rsa', { modulusLength: 2048 })
  if (algorithm === 'ES256') return generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return generateKeyPairSync('ed25519')
}

/** Generates a key pair now and writes both halves as PEM files into dir. */
export function writeKeyPair (dir: string, algorithm: AsymmetricAlgorithm, name = `${algorithm}-${++counter}`): KeyPairFiles {
  const { privateKey, publicKey } = newKeyPair(algorithm)
  return writePair(dir, algorithm, name, privateKey, publicKey)
}

export function writePair (dir: string, algorithm: AsymmetricAlgorithm, name: string, privateKey: KeyObject, publicKey: KeyObject): KeyPairFiles {
  const privateFile = join(dir, `${name}.key`)
  const publicFile = join(dir, `${name}.pub`)
  const publicPem = publicKey.export({ format: 'pem', type: 'spki' }).toString()
  writeFileSync(privateFile, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 })
  writeFileSync(publicFile, publicPem)
  return { algorithm, privateKey, publicKey, privateFile, publicFile, publicPem }
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')

export function decodeSegment (token: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index] as string, 'base64url').toString('utf8'))
}

/**
 * Builds a JWT by hand, so that tests can forge what a real library would
 * refuse to produce (alg none, HS256 keyed with a public PEM…).
 */
export function forge (header: Record<string, unknown>, payload: Record<string, unknown>, signature: (input: Buffer) => Buffer): string {
  const input = `${b64url(header)}.${b64url(payload)}`
  return `${input}.${signature(Buffer.from(input)).toString('base64url')}`
}

export const hmac = (secret: string | Buffer) => (input: Buffer) => createHmac('sha256', secret).update(input).digest()

/** The JWS signature of each algorithm with node:crypto (ES256 needs the raw r||s form). */
export const signWith = (algorithm: AsymmetricAlgorithm, key: KeyObject) => (input: Buffer): Buffer => {
  if (algorithm === 'EdDSA') return sign(null, input, key)
  if (algorithm === 'ES256') return sign('sha256', input, { key, dsaEncoding: 'ieee-p1363' })
  return sign('sha256', input, key)
}
