import { randomBytes } from 'node:crypto'
import { decodeJwt } from 'jose'
import t from 'tap'
import { addUser, build, form, login } from '../../helper.js'
import { enrolTotp, oathtoolCode, otpStep, passwordStep, STEP_MS } from '../../mfa.js'
import { needOathtool } from '../../services.js'
import { postgresSchema } from '../../src/store/postgres-schema.js'

t.test('two instances on one PostgreSQL: a code is accepted by one of them only', async t => {
  if (!await needOathtool(t)) return
  const pg = await postgresSchema(t)
  if (pg === undefined) return
  // Instances share the database and the key, as in a scaled-out deployment.
  const env = { DATABASE_URL: pg.url, MFA_ENCRYPTION_KEY: randomBytes(32).toString('hex') }
  const one = await build(t, env)
  const two = await build(t, env)
  await addUser(one, 'alice')
  const { secret } = await enrolTotp(one, (await login(one, 'alice')).access_token)
  const [tokenOne, tokenTwo] = await Promise.all([passwordStep(one, 'alice'), passwordStep(two, 'alice')])
  const code = oathtoolCode(secret, Date.now() + STEP_MS)
  const answers = await Promise.all([otpStep(one, tokenOne, { otp: code }), otpStep(two, tokenTwo, { otp: code })])
  t.same(answers.map(a => a.statusCode).sort(), [200, 400], 'the same code, sent to both at once: one login')
  const refused = answers.find(a => a.statusCode === 400)
  t.match(refused?.json().error_description, /already used/)

  const tokens = answers.find(a => a.statusCode === 200)?.json()
  const refreshed = await two.inject({ method: 'POST', url: '/token', ...form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }) })
  t.same(decodeJwt(refreshed.json().access_token).amr, ['pwd', 'otp'], 'the session keeps its amr in the database: refreshed on the other instance')
})
