import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { loadConfig } from '../../src/config.js'
import { tempDir } from '../helper.js'
import { configProblem } from './config-problem.js'

const problem = configProblem

t.test('second-factor defaults: no key (generated in development), issuer gatehouse, admins not held to MFA', async t => {
  t.same(loadConfig({}).mfa, { encryptionKeys: [], issuer: 'gatehouse', adminRequiresMfa: false })
})

t.test('MFA_ENCRYPTION_KEY is a comma list of 32-byte keys; MFA_ISSUER and ADMIN_REQUIRES_MFA are read', async t => {
  const [a, b] = [randomBytes(32).toString('hex'), randomBytes(32).toString('base64')]
  t.same(loadConfig({ MFA_ENCRYPTION_KEY: `${a}, ${b}`, MFA_ISSUER: 'Acme Auth', ADMIN_REQUIRES_MFA: 'true' }).mfa,
    { encryptionKeys: [a, b], issuer: 'Acme Auth', adminRequiresMfa: true })
})

t.test('a bad key is refused without showing it', async t => {
  const message = problem({ MFA_ENCRYPTION_KEY: 'too-short-secret-value' })
  t.match(message, /MFA_ENCRYPTION_KEY: key 1 is not 32 bytes/)
  t.notMatch(message, /too-short-secret-value/)
  t.match(problem({ MFA_ISSUER: 'a:b' }), /MFA_ISSUER: expected 1 to 64 characters without a colon/)
})

t.test('MFA_ENCRYPTION_KEY_FILE reads the key from a file', async t => {
  const key = randomBytes(32).toString('base64url')
  const file = join(tempDir(t), 'mfa-key')
  writeFileSync(file, key + '\n')
  t.same(loadConfig({ MFA_ENCRYPTION_KEY_FILE: file }).mfa.encryptionKeys, [key])
  t.match(problem({ MFA_ENCRYPTION_KEY_FILE: file, MFA_ENCRYPTION_KEY: key }), /MFA_ENCRYPTION_KEY, MFA_ENCRYPTION_KEY_FILE: set one of them/)
})
