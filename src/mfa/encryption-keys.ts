import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { decodeEncryptionKey } from './secret-box.js'

export interface EncryptionKeys {
  /** The first encrypts; empty in production without MFA_ENCRYPTION_KEY. */
  keys: Buffer[]
  /** Set when a development key was generated in (or read from) the data folder. */
  generatedFile: string | undefined
}

/**
 * MFA_ENCRYPTION_KEY's keys (validated by loadConfig). Without it, development
 * keeps a generated key in DATA_DIR (mode 0600), as it does the JWT secret;
 * production has none, and start-up refuses when a user has a second factor.
 */
export function resolveEncryptionKeys (settings: { encryptionKeys: string[] }, production: boolean, dataDir: string): EncryptionKeys {
  if (settings.encryptionKeys.length > 0) {
    return { keys: settings.encryptionKeys.map(k => decodeEncryptionKey(k) as Buffer), generatedFile: undefined }
  }
  if (production) return { keys: [], generatedFile: undefined }
  const file = join(dataDir, 'mfa-encryption-key')
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true })
    writeFileSync(file, randomBytes(32).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' })
    chmodSync(file, 0o600)
  }
  const key = decodeEncryptionKey(readFileSync(file, 'utf8'))
  if (key === undefined) throw new Error(`${file} does not hold a 32-byte key; delete it (if no user has a second factor yet) or fix it`)
  return { keys: [key], generatedFile: file }
}
