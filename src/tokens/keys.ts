import { createHash, createPrivateKey, createPublicKey, randomBytes, type KeyObject, type JsonWebKey } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError, type Config } from '../config.js'
import { readPemFile, shownPath } from '../pem-files.js'

export type Algorithm = Config['jwt']['algorithm']

export interface VerificationKey {
  kid: string
  /** Verify key material for @fastify/jwt: the secret for HS256, a public PEM otherwise. */
  verifyKey: string
  /** The public JWK published in the JWKS document (asymmetric algorithms only). */
  publicJwk: JsonWebKey | undefined
}

export interface SigningKey extends VerificationKey {
  signKey: string
}

export interface KeySet {
  algorithm: Algorithm
  current: SigningKey
  /** Current and retired keys, by kid. Retired keys verify but never sign. */
  byKid: Map<string, VerificationKey>
  /** Set when a development secret was generated or reused from the data folder. */
  generatedSecretFile: string | undefined
}

/** Secrets published in tutorials and examples: never accepted in production. */
const KNOWN_EXAMPLE_SECRETS = new Set([
  '09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7',
  'your-secret-key', 'your_secret_key', 'your-256-bit-secret', 'secret', 'secretkey', 'secret-key',
  'changeme', 'change-me', 'changethis', 'supersecret', 'super-secret', 'mysecret', 'jwt-secret', 'jwtsecret',
  'please-change-me', 'replace-me', 'gatehouse', 'a-string-secret-at-least-256-bits-long'
])

const MIN_SECRET_BYTES = 32

/** RFC 7638 JWK thumbprint, base64url: a stable kid derived from the key itself. */
export function jwkThumbprint (jwk: JsonWebKey): string {
  const members: Record<string, string[]> = {
    RSA: ['e', 'kty', 'n'], EC: ['crv', 'kty', 'x', 'y'], OKP: ['crv', 'kty', 'x'], oct: ['k', 'kty']
  }
  const names = members[String(jwk.kty)]
  if (names === undefined) throw new Error(`unsupported key type ${String(jwk.kty)}`)
  const canonical = '{' + names.map(n => `"${n}":"${String(jwk[n])}"`).join(',') + '}'
  return createHash('sha256').update(canonical).digest('base64url')
}

export function secretProblem (secret: string, variable: string): string | undefined {
  if (KNOWN_EXAMPLE_SECRETS.has(secret.trim().toLowerCase())) return `${variable}: this is a published example secret; generate one with \`gatehouse secret generate\` (in a clone: \`npx gatehouse secret generate\`)`
  if (Buffer.byteLength(secret, 'utf8') < MIN_SECRET_BYTES) return `${variable}: must be at least ${MIN_SECRET_BYTES} bytes (got ${Buffer.byteLength(secret, 'utf8')}); generate one with \`gatehouse secret generate\` (in a clone: \`npx gatehouse secret generate\`)`
  if (new Set(secret).size < 8) return `${variable}: has too little variety to hold 32 bytes of entropy`
  return undefined
}

function secretKey (secret: string): SigningKey {
  const kid = jwkThumbprint({ kty: 'oct', k: Buffer.from(secret, 'utf8').toString('base64url') })
  return { kid, signKey: secret, verifyKey: secret, publicJwk: undefined }
}

function developmentSecret (dataDir: string): { secret: string, file: string } {
  const file = join(dataDir, 'jwt-secret')
  if (existsSync(file)) return { secret: readFileSync(file, 'utf8').trim(), file }
  mkdirSync(dataDir, { recursive: true })
  const secret = randomBytes(48).toString('base64url')
  writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' })
  chmodSync(file, 0o600)
  return { secret, file }
}

function expectedKeyProblem (algorithm: Algorithm, key: KeyObject): string | undefined {
  const type = key.asymmetricKeyType
  const details = key.asymmetricKeyDetails ?? {}
  switch (algorithm) {
    case 'RS256':
      if (type !== 'rsa') return `is a ${String(type)} key, RS256 needs an RSA key`
      if ((details.modulusLength ?? 0) < 2048) return `is a ${String(details.modulusLength)}-bit RSA key, RS256 needs at least 2048 bits`
      return undefined
    case 'ES256':
      if (type !== 'ec' || details.namedCurve !== 'prime256v1') return `is not a P-256 EC key (ES256 needs one; got ${String(type)} ${String(details.namedCurve ?? '')})`
      return undefined
    case 'EdDSA':
      if (type !== 'ed25519') return `is a ${String(type)} key, EdDSA needs an Ed25519 key`
      return undefined
    default:
      return 'is a key file, but HS256 uses JWT_SECRET'
  }
}

function loadKeyFile (algorithm: Algorithm, file: string, variable: string, problems: string[]): SigningKey | undefined {
  const pem = readPemFile(file, variable, problems)
  if (pem === undefined) return undefined
  if (pem.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----') || /Proc-Type: *4,ENCRYPTED/.test(pem)) {
    problems.push(`${variable}: ${shownPath(file)} is encrypted; the service needs an unencrypted PKCS#8 key (protect it with file permissions or a secret store)`)
    return undefined
  }
  let publicKey: KeyObject
  let privatePem: string | undefined
  try {
    if (pem.includes('PRIVATE KEY-----')) {
      const privateKey = createPrivateKey(pem)
      publicKey = createPublicKey(privateKey)
      privatePem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
    } else {
      publicKey = createPublicKey(pem)
    }
  } catch {
    problems.push(`${variable}: ${shownPath(file)} is not a PEM key`)
    return undefined
  }
  const problem = expectedKeyProblem(algorithm, publicKey)
  if (problem !== undefined) {
    problems.push(`${variable}: ${shownPath(file)} ${problem}`)
    return undefined
  }
  const jwk = publicKey.export({ format: 'jwk' })
  const kid = jwkThumbprint(jwk)
  return {
    kid,
    signKey: privatePem ?? '',
    verifyKey: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    publicJwk: { ...jwk, kid, alg: algorithm, use: 'sig' }
  }
}

/**
 * Resolves the signing key and the retired verification keys from the
 * configuration. Throws a ConfigError naming each bad variable.
 */
export function loadKeySet (config: Config): KeySet {
  const { jwt } = config
  const problems: string[] = []
  const byKid = new Map<string, VerificationKey>()
  let current: SigningKey | undefined
  let generatedSecretFile: string | undefined

  const retired: VerificationKey[] = []

  if (jwt.algorithm === 'HS256') {
    if (jwt.privateKeyFile !== undefined) problems.push('JWT_PRIVATE_KEY_FILE: only used with RS256, ES256 or EdDSA; HS256 uses JWT_SECRET')
    if (jwt.previousKeyFiles.length > 0) problems.push('JWT_PREVIOUS_KEY_FILES: only used with RS256, ES256 or EdDSA; retired HS256 secrets go in JWT_PREVIOUS_SECRETS')
    let secret = jwt.secret
    if (secret === undefined) {
      if (config.production) {
        problems.push('JWT_SECRET: required when NODE_ENV=production (generate one with `gatehouse secret generate`; in a clone: `npx gatehouse secret generate`)')
      } else {
        const generated = developmentSecret(config.dataDir)
        secret = generated.secret
        generatedSecretFile = generated.file
      }
    }
    if (secret !== undefined) {
      const problem = secretProblem(secret, 'JWT_SECRET')
      if (problem !== undefined && (config.production || jwt.secret !== undefined)) problems.push(problem)
      current = secretKey(secret)
    }
    jwt.previousSecrets.forEach((previous, i) => {
      const problem = secretProblem(previous, `JWT_PREVIOUS_SECRETS[${i}]`)
      if (problem !== undefined) problems.push(problem)
      else retired.push(secretKey(previous))
    })
  } else {
    if (jwt.previousSecrets.length > 0) problems.push(`JWT_PREVIOUS_SECRETS: only used with HS256; retired ${jwt.algorithm} keys go in JWT_PREVIOUS_KEY_FILES`)
    if (jwt.privateKeyFile === undefined) {
      problems.push(`JWT_PRIVATE_KEY_FILE: required for JWT_ALGORITHM=${jwt.algorithm} (make one with \`gatehouse keys generate --alg ${jwt.algorithm} --out FILE\`; in a clone: \`npx gatehouse keys generate …\`)`)
    } else {
      current = loadKeyFile(jwt.algorithm, jwt.privateKeyFile, 'JWT_PRIVATE_KEY_FILE', problems)
      if (current !== undefined && current.signKey === '') {
        problems.push(`JWT_PRIVATE_KEY_FILE: "${jwt.privateKeyFile}" holds a public key; the signing key must be private`)
      }
    }
    // A retired key only verifies, so its public key (or a certificate) is enough.
    for (const file of jwt.previousKeyFiles) {
      const key = loadKeyFile(jwt.algorithm, file, 'JWT_PREVIOUS_KEY_FILES', problems)
      if (key !== undefined) retired.push({ kid: key.kid, verifyKey: key.verifyKey, publicJwk: key.publicJwk })
    }
  }
  if (problems.length > 0 || current === undefined) throw new ConfigError(problems)
  // The current key first: the JWKS document lists it first.
  byKid.set(current.kid, current)
  for (const key of retired) if (!byKid.has(key.kid)) byKid.set(key.kid, key)
  return { algorithm: jwt.algorithm, current, byKid, generatedSecretFile }
}
