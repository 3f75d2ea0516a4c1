import t from 'tap'
import { tempDir } from '../helper.js'
import { baseEnv, freePort, spawnService, waitForService } from '../child-process.js'
import { expectRefusal, GOOD_SECRET } from './refusal.js'

/** SPEC, Configuration: CORS credentials with a wildcard, and malformed values, stop the start. */
const good = { JWT_SECRET: GOOD_SECRET }

t.test('CORS_CREDENTIALS=true with CORS_ORIGINS=*', async t => {
  await expectRefusal(t, { ...good, CORS_ORIGINS: '*', CORS_CREDENTIALS: 'true' }, 'CORS_CREDENTIALS')
})
t.test('CORS_CREDENTIALS=true with * among listed origins', async t => {
  await expectRefusal(t, { ...good, CORS_ORIGINS: 'https://app.example,*', CORS_CREDENTIALS: 'true' }, 'CORS_CREDENTIALS')
})
t.test('PORT=abc', async t => { await expectRefusal(t, { ...good, PORT: 'abc' }, 'PORT') })
t.test('BCRYPT_COST=9', async t => { await expectRefusal(t, { ...good, BCRYPT_COST: '9' }, 'BCRYPT_COST') })
t.test('JWT_ALGORITHM=none', async t => { await expectRefusal(t, { ...good, JWT_ALGORITHM: 'none' }, 'JWT_ALGORITHM') })
t.test('ACCESS_TOKEN_EXPIRE_MINUTES=0', async t => { await expectRefusal(t, { ...good, ACCESS_TOKEN_EXPIRE_MINUTES: '0' }, 'ACCESS_TOKEN_EXPIRE_MINUTES') })
t.test('TRUST_PROXY with a bad CIDR', async t => { await expectRefusal(t, { ...good, TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY') })

t.test('control: the same harness sees a good production configuration start and stop cleanly', async t => {
  const dataDir = tempDir(t)
  const port = await freePort()
  const started = spawnService(t, baseEnv({ HOST: '127.0.0.1', LOG_LEVEL: 'warn', NODE_ENV: 'production', DATA_DIR: dataDir, PORT: String(port), ...good }), dataDir)
  await waitForService(started, 'live')
  started.child.kill('SIGTERM')
  t.equal(await started.exited, 0, 'exit 0 after SIGTERM')
})
