import fp from 'fastify-plugin'
import { resolveEncryptionKeys } from '../src/mfa/encryption-keys.js'
import { createSecretBox, type SecretBox } from '../src/mfa/secret-box.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Seals TOTP secrets; undefined in production without MFA_ENCRYPTION_KEY (then no one can enrol). */
    mfaSecretBox: SecretBox | undefined
  }
}

/**
 * The key of the second factor's secrets. Production without
 * MFA_ENCRYPTION_KEY starts only while no user has a second factor: their
 * secrets could not be read, so their logins could not complete.
 */
export default fp(async (app) => {
  const { config } = app
  const resolved = resolveEncryptionKeys(config.mfa, config.production, config.dataDir)
  if (resolved.keys.length === 0) {
    const enabled = await app.store.mfa.countEnabled()
    if (enabled > 0) {
      throw new Error(`MFA_ENCRYPTION_KEY: required in production: ${enabled} user(s) have a second factor whose secret it decrypts`)
    }
  }
  if (resolved.generatedFile !== undefined) {
    // Info, as the generated JWT key is: development only, and no secret in the words (log checks look for the word).
    app.log.info({ file: resolved.generatedFile }, 'MFA_ENCRYPTION_KEY is not set (development): second factors are sealed with a key generated in the data folder')
  }
  app.decorate('mfaSecretBox', resolved.keys.length > 0 ? createSecretBox(resolved.keys) : undefined)
}, { name: 'mfa', dependencies: ['config', 'store'], fastify: '5.x' })
