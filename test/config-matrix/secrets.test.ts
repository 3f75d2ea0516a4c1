import t from 'tap'
import { expectRefusal } from './refusal.js'

/** SPEC, Configuration: production refuses a missing, published or short HS256 secret. */
const TUTORIAL_SECRET = '09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7'

t.test('missing JWT_SECRET', async t => { await expectRefusal(t, {}, 'JWT_SECRET') })
t.test('the FastAPI tutorial secret', async t => { await expectRefusal(t, { JWT_SECRET: TUTORIAL_SECRET }, 'JWT_SECRET', [TUTORIAL_SECRET]) })
t.test('your-secret-key', async t => { await expectRefusal(t, { JWT_SECRET: 'your-secret-key' }, 'JWT_SECRET', ['your-secret-key']) })
t.test('a 31-byte secret', async t => {
  const secret = 'Kp4Xw9Lm2Qr7Tz5Vb8Nc1Hd6Jf3Gs0A'
  t.equal(Buffer.byteLength(secret), 31)
  await expectRefusal(t, { JWT_SECRET: secret }, 'JWT_SECRET', [secret])
})
t.test('a short previous secret', async t => {
  await expectRefusal(t, { JWT_SECRET: 'Zq3vN8xW1pLk5TgR7yHc2MdF9sJb4Ae6UoIwQe0rTyUiPaSdFgHj', JWT_PREVIOUS_SECRETS: 'short-old-secret' }, 'JWT_PREVIOUS_SECRETS', ['short-old-secret'])
})
