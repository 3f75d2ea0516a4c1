import t, { type Test } from 'tap'
import { generateKeyPairSync } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { baseEnv, freePort, spawnService } from '../child-process.js'
import { tempDir } from '../helper.js'
import { writeKeyPair } from './key-files.js'

/** Runs dist/gatehouse.mjs expecting it to refuse to start. */
async function failedStart (t: Test, env: Record<string, string>, cwd: string): Promise<{ code: number | string, stderr: string }> {
  const service = spawnService(t, baseEnv({ HOST: '127.0.0.1', PORT: String(await freePort()), ...env }), cwd)
  return { code: await service.exited, stderr: service.stderr() }
}

t.test('NODE_ENV=production refuses a weak RSA key: exit 78, the variable named on stderr', async t => {
  const dir = tempDir(t)
  const weak = join(dir, 'weak.key')
  writeFileSync(weak, generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }))
  const { code, stderr } = await failedStart(t, { NODE_ENV: 'production', DATA_DIR: dir, JWT_ALGORITHM: 'RS256', JWT_PRIVATE_KEY_FILE: weak }, dir)
  t.equal(code, 78, 'EX_CONFIG')
  t.match(stderr, /refusing to start/)
  t.match(stderr, /JWT_PRIVATE_KEY_FILE: .*1024-bit RSA key, RS256 needs at least 2048 bits/)
  t.notMatch(stderr, /BEGIN/, 'no key material on stderr')
})

t.test('NODE_ENV=production refuses a missing retired key file', async t => {
  const dir = tempDir(t)
  const current = writeKeyPair(dir, 'ES256')
  const { code, stderr } = await failedStart(t, {
    NODE_ENV: 'production', DATA_DIR: dir, JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY_FILE: current.privateFile, JWT_PREVIOUS_KEY_FILES: join(dir, 'lost.key')
  }, dir)
  t.equal(code, 78)
  t.match(stderr, /JWT_PREVIOUS_KEY_FILES: cannot read .*lost\.key.*ENOENT/)
})
