import { randomBytes } from 'node:crypto'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { addUser, build, login, tempDir } from '../helper.js'
import { enrolTotp, oathtoolCode, otpStep, passwordStep, STEP_MS } from '../mfa.js'
import { needOathtool } from '../services.js'

const keyOf = (id: string) => id.split('.')[1]
const storedSecret = async (app: Awaited<ReturnType<typeof build>>) =>
  (await app.store.handle.db.selectFrom('mfa_totp').select('secret').executeTakeFirstOrThrow()).secret

t.test('restart with a rotated MFA_ENCRYPTION_KEY list: old secrets still open and move to the new key', async t => {
  if (!await needOathtool(t)) return
  const dataDir = tempDir(t)
  const [oldKey, newKey] = [randomBytes(32).toString('base64'), randomBytes(32).toString('hex')]
  const first = await build(t, { DATA_DIR: dataDir, MFA_ENCRYPTION_KEY: oldKey })
  await addUser(first, 'alice')
  const { secret, recoveryCodes } = await enrolTotp(first, (await login(first, 'alice')).access_token)
  const sealedOld = await storedSecret(first)
  await first.close()

  const rotated = await build(t, { DATA_DIR: dataDir, MFA_ENCRYPTION_KEY: `${newKey},${oldKey}` })
  const res = await otpStep(rotated, await passwordStep(rotated, 'alice'), { otp: oathtoolCode(secret, Date.now() + STEP_MS) })
  t.equal(res.statusCode, 200, 'the old key still opens the secret')
  const resealed = await storedSecret(rotated)
  t.not(keyOf(resealed), keyOf(sealedOld), 'the secret was re-sealed under the new key on use')
  await rotated.close()

  const onlyNew = await build(t, { DATA_DIR: dataDir, MFA_ENCRYPTION_KEY: newKey })
  // The next step's code was used above; a wrong code shows the secret opens (400, not 500).
  const opened = await otpStep(onlyNew, await passwordStep(onlyNew, 'alice'), { otp: oathtoolCode(secret, Date.now() - 10 * STEP_MS) })
  t.equal(opened.statusCode, 400, 'the old key can be dropped once the secret moved')
  t.equal((await otpStep(onlyNew, await passwordStep(onlyNew, 'alice'), { recovery_code: recoveryCodes[0] as string })).statusCode, 200)
})

t.test('a dropped key: the login answers 500, not a wrong-code refusal', async t => {
  if (!await needOathtool(t)) return
  const dataDir = tempDir(t)
  const first = await build(t, { DATA_DIR: dataDir, MFA_ENCRYPTION_KEY: randomBytes(32).toString('hex') })
  await addUser(first, 'alice')
  const { secret } = await enrolTotp(first, (await login(first, 'alice')).access_token)
  await first.close()
  const other = await build(t, { DATA_DIR: dataDir, MFA_ENCRYPTION_KEY: randomBytes(32).toString('hex') })
  const res = await otpStep(other, await passwordStep(other, 'alice'), { otp: oathtoolCode(secret, Date.now() + STEP_MS) })
  t.equal(res.statusCode, 500)
  t.equal(res.json().error, 'server_error')
})

t.test('development without MFA_ENCRYPTION_KEY: a generated key in DATA_DIR (0600), the same after a restart', async t => {
  if (!await needOathtool(t)) return
  const dataDir = tempDir(t)
  const first = await build(t, { DATA_DIR: dataDir })
  await addUser(first, 'alice')
  const { secret } = await enrolTotp(first, (await login(first, 'alice')).access_token)
  await first.close()
  t.equal(statSync(join(dataDir, 'mfa-encryption-key')).mode & 0o777, 0o600)
  const again = await build(t, { DATA_DIR: dataDir })
  t.equal((await otpStep(again, await passwordStep(again, 'alice'), { otp: oathtoolCode(secret, Date.now() + STEP_MS) })).statusCode, 200)
})

t.test('production without MFA_ENCRYPTION_KEY: starts while no one has a second factor, refuses enrolment, refuses to start once someone has one', async t => {
  const dataDir = tempDir(t)
  const production = await build(t, { DATA_DIR: dataDir, NODE_ENV: 'production' })
  await addUser(production, 'alice')
  const res = await production.inject({ method: 'POST', url: '/users/me/mfa/totp', headers: { authorization: `Bearer ${(await login(production, 'alice')).access_token}` } })
  t.equal(res.statusCode, 503)
  t.match(res.json().error_description, /MFA_ENCRYPTION_KEY/)
  await production.close()

  const key = randomBytes(32).toString('hex')
  const withKey = await build(t, { DATA_DIR: dataDir, NODE_ENV: 'production', MFA_ENCRYPTION_KEY: key })
  const user = await withKey.userService.get('alice')
  await withKey.store.mfa.startEnrolment(user.id, 'v1.sealed', Date.now())
  await withKey.store.mfa.confirmEnrolment(user.id, 1, [], Date.now(), 'none')
  await withKey.close()

  await t.rejects(build(t, { DATA_DIR: dataDir, NODE_ENV: 'production' }), /MFA_ENCRYPTION_KEY: required in production: 1 user/)
})
