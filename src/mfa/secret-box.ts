import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'

/**
 * TOTP secrets at rest: AES-256-GCM under MFA_ENCRYPTION_KEY. The key is a
 * list: the first encrypts, every one decrypts, so a key is rotated by putting
 * the new one first and dropping the old one once no secret uses it. A sealed
 * value names its key by a short fingerprint:
 * `v1.<key id>.<iv>.<ciphertext>.<tag>` (base64url parts). The user's id is the
 * additional data, so a sealed secret copied to another user's row does not open.
 */
export interface SecretBox {
  seal: (plaintext: string, userId: number) => string
  /** Undefined when no key opens it (a key dropped too early) or it was tampered with. */
  open: (sealed: string, userId: number) => string | undefined
  /** Whether `sealed` was made with the first key (else re-seal it). */
  isCurrent: (sealed: string) => boolean
}

const KEY_BYTES = 32

/** The 32 bytes of one key: 64 hex digits, or base64/base64url of 32 bytes; undefined if it is neither. */
export function decodeEncryptionKey (text: string): Buffer | undefined {
  const value = text.trim()
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex')
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) return undefined
  const bytes = Buffer.from(value.replace(/\+/g, '-').replace(/\//g, '_').replace(/=$/, ''), 'base64url')
  return bytes.length === KEY_BYTES ? bytes : undefined
}

/** What is wrong with a MFA_ENCRYPTION_KEY value, for the config's error list. */
export function encryptionKeysProblem (value: string): string | undefined {
  const keys = value.split(',').map(k => k.trim()).filter(k => k !== '')
  if (keys.length === 0) return 'MFA_ENCRYPTION_KEY: give at least one key'
  const bad = keys.findIndex(k => decodeEncryptionKey(k) === undefined)
  if (bad >= 0) return `MFA_ENCRYPTION_KEY: key ${bad + 1} is not 32 bytes as 64 hex digits or base64 (generate one with \`openssl rand -base64 32\`)`
  return undefined
}

const keyId = (key: Buffer): string => createHash('sha256').update(key).digest('base64url').slice(0, 8)
const aad = (userId: number): Buffer => Buffer.from(`gatehouse-totp:${userId}`)

export function createSecretBox (keys: readonly Buffer[]): SecretBox {
  if (keys.length === 0) throw new Error('createSecretBox needs at least one key')
  const byId = new Map(keys.map(key => [keyId(key), key]))
  const current = keys[0] as Buffer
  const currentId = keyId(current)
  return {
    seal (plaintext, userId) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', current, iv).setAAD(aad(userId))
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
      return ['v1', currentId, iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.')
    },
    open (sealed, userId) {
      const [version, id, iv, ciphertext, tag] = sealed.split('.')
      const key = id === undefined ? undefined : byId.get(id)
      if (version !== 'v1' || key === undefined || iv === undefined || ciphertext === undefined || tag === undefined) return undefined
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url')).setAAD(aad(userId))
        decipher.setAuthTag(Buffer.from(tag, 'base64url'))
        return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8')
      } catch {
        return undefined
      }
    },
    isCurrent: (sealed) => sealed.split('.')[1] === currentId
  }
}
