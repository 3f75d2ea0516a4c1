import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { chmodSync, existsSync, writeFileSync } from 'node:fs'
import { jwkThumbprint, type Algorithm } from '../tokens/keys.js'

export type AsymmetricAlgorithm = Exclude<Algorithm, 'HS256'>

export function generateSecret (): string {
  return randomBytes(48).toString('base64url')
}

export class KeyFileExistsError extends Error {
  constructor (file: string) {
    super(`${file} already exists; refusing to overwrite a key (choose another --out, or move the old file away first)`)
    this.name = 'KeyFileExistsError'
  }
}

export interface GeneratedKey {
  kid: string
  publicPem: string
}

/** Writes a PKCS#8 PEM private key with mode 0600 (never over an existing file). */
export function generateKeyPair (algorithm: AsymmetricAlgorithm, out: string): GeneratedKey {
  if (existsSync(out)) throw new KeyFileExistsError(out)
  const pair = algorithm === 'RS256'
    ? generateKeyPairSync('rsa', { modulusLength: 3072 })
    : algorithm === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('ed25519')
  const privatePem = pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
  try {
    // 'wx' also closes the race between the check above and the write.
    writeFileSync(out, privatePem, { mode: 0o600, flag: 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new KeyFileExistsError(out)
    throw err
  }
  chmodSync(out, 0o600) // the mode above is filtered through the umask
  return {
    kid: jwkThumbprint(pair.publicKey.export({ format: 'jwk' })),
    publicPem: pair.publicKey.export({ format: 'pem', type: 'spki' }).toString()
  }
}

/** What `keys generate` prints: the key, and how to roll it out with no one logged out. */
export function rotationSteps (algorithm: AsymmetricAlgorithm, out: string, key: GeneratedKey): string {
  return `wrote ${algorithm} private key to ${out} (mode 0600)
kid: ${key.kid}

public key:
${key.publicPem}
First deployment: start with JWT_ALGORITHM=${algorithm} JWT_PRIVATE_KEY_FILE=${out}

Rotation with no downtime (OLD = the key file in use now):
  1. Publish: restart every instance with
       JWT_PRIVATE_KEY_FILE=OLD JWT_PREVIOUS_KEY_FILES=${out}
     The old key still signs; /.well-known/jwks.json now lists both keys.
  2. Wait until every verifier has refetched the JWKS (at least its cache
     time: gatehouse sends max-age=JWKS_MAX_AGE_SECONDS, default 300, plus
     stale-while-revalidate=60, so 6 minutes by default). Skip this wait when
     there is one instance and no other service verifies tokens.
  3. Switch: restart every instance with
       JWT_PRIVATE_KEY_FILE=${out} JWT_PREVIOUS_KEY_FILES=OLD
     New tokens carry kid ${key.kid}; tokens signed with OLD still verify.
  4. Wait ACCESS_TOKEN_EXPIRE_MINUTES (plus 30 s of allowed clock skew), then
     restart without OLD in JWT_PREVIOUS_KEY_FILES and delete OLD.
Refresh tokens are not signed: sessions survive every step.`
}
