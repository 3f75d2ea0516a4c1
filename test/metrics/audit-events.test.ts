import t from 'tap'
import { newAccountToken } from '../../src/tokens/account-tokens.js'
import { AUDIT_EVENT_NAMES, type AuditEventName } from '../../src/audit/audit-event.js'
import { addClient, addUser, basicAuth, bearer, form, login, PASSWORD, refresh } from '../helper.js'
import { buildWithLogs } from '../logs.js'
import { enrolTotp, oathtoolCode, otpStep, passwordStep, STEP_MS } from '../mfa.js'
import { needOathtool } from '../services.js'

/** The fields each event's line carries besides event, actor, ip and reqId: one convention, snake_case. */
const FIELDS: Record<AuditEventName, string[]> = {
  'login.succeeded': ['username', 'session_id'],
  'login.failed': ['username', 'reason'],
  'login.locked_out': ['username', 'scope'],
  'client.token_issued': ['client_id', 'scope'],
  'client.auth_failed': ['client_id', 'reason'],
  'client.locked_out': ['client_id', 'scope'],
  'token.refreshed': ['username', 'session_id'],
  'token.reuse_detected': ['username', 'session_id'],
  'session.revoked': ['via', 'username', 'session_id'],
  'session.revoked_all': ['username', 'revoked_sessions'],
  'user.created': ['username'],
  'user.updated': ['username', 'changes', 'revoked_sessions'],
  'user.disabled': ['username', 'changes', 'revoked_sessions'],
  'user.deleted': ['username'],
  'user.password_changed': ['username', 'revoked_sessions'],
  'user.email_changed': ['username'],
  'user.email_verified': ['username'],
  'user.password_reset': ['username', 'revoked_sessions'],
  'users.imported': ['created', 'updated', 'skipped', 'revoked_sessions'],
  'client.created': ['client_id', 'grant_types', 'scopes', 'public'],
  'client.updated': ['client_id', 'changes'],
  'client.deleted': ['client_id'],
  'client.secret_rotated': ['client_id'],
  'login.mfa_required': ['username'],
  'login.second_factor': ['username', 'method'],
  'mfa.enrolment_started': ['username'],
  'mfa.enabled': ['username', 'revoked_sessions'],
  'mfa.disabled': ['username', 'revoked_sessions'],
  'mfa.recovery_codes_regenerated': ['username', 'revoked_sessions'],
  'mfa.reset': ['username', 'revoked_sessions']
}

/** The value of one sample line, e.g. sample(text, 'x_total{event="user.created"}'). */
function sample (text: string, series: string): number | undefined {
  const line = text.split('\n').find(l => l.startsWith(series + ' '))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

t.test('every audit event type is logged with its snake_case fields and counted by metrics', async t => {
  // The second factor's events need codes, computed by oathtool.
  if (!await needOathtool(t)) return
  const { app, logs } = await buildWithLogs(t, { METRICS_PORT: '9464', SIGNUP_ENABLED: 'true', LOGIN_MAX_FAILURES_PER_USER: '2' })
  await addUser(app, 'root', { scopes: ['users:admin', 'clients:admin'] })
  await addUser(app, 'alice')
  await addUser(app, 'dora', { disabled: true })
  const admin = bearer((await login(app, 'root')).access_token)
  const tryLogin = async (username: string, password: string) =>
    (await app.inject({ method: 'POST', url: '/token', ...form({ username, password }) })).statusCode

  t.equal(await tryLogin('dora', PASSWORD), 400, 'login.failed inactive')
  t.equal(await tryLogin('bob', 'wrong-password-1'), 401, 'login.failed bad_credentials')
  t.equal(await tryLogin('bob', 'wrong-password-2'), 401, 'login.locked_out user')
  t.equal(await tryLogin('bob', 'wrong-password-3'), 429, 'login.failed locked_out')

  const secret = await addClient(app, 'svc') ?? ''
  const clientToken = async (password: string) =>
    (await app.inject({ method: 'POST', url: '/token', headers: { ...form({}).headers, authorization: basicAuth('svc', password) }, payload: 'grant_type=client_credentials' })).statusCode
  t.equal(await clientToken(secret), 200, 'client.token_issued')
  t.equal(await clientToken('wrong-1'), 401, 'client.auth_failed bad_secret')
  t.equal(await clientToken('wrong-2'), 401, 'client.locked_out')
  t.equal(await clientToken(secret), 429, 'client.auth_failed locked_out')

  const alice = await login(app, 'alice')
  t.equal((await refresh(app, alice.refresh_token)).statusCode, 200, 'token.refreshed')
  t.equal((await refresh(app, alice.refresh_token)).statusCode, 400, 'token.reuse_detected')
  const one = await login(app, 'alice')
  t.equal((await app.inject({ method: 'POST', url: '/logout', headers: bearer(one.access_token) })).statusCode, 204)
  const two = await login(app, 'alice')
  t.equal((await app.inject({ method: 'POST', url: '/revoke', ...form({ token: two.refresh_token }) })).statusCode, 200)
  await login(app, 'alice') // another session, revoked from the list below
  const four = await login(app, 'alice')
  const sessions = (await app.inject({ method: 'GET', url: '/users/me/sessions', headers: bearer(four.access_token) })).json<Array<{ id: string, current: boolean }>>()
  const other = sessions.find(s => !s.current)
  t.ok(other)
  t.equal((await app.inject({ method: 'DELETE', url: `/users/me/sessions/${other?.id ?? ''}`, headers: bearer(four.access_token) })).statusCode, 204)
  t.equal((await app.inject({ method: 'PATCH', url: '/users/me', headers: bearer(four.access_token), payload: { email: 'alice@example.com' } })).statusCode, 200, 'user.email_changed')
  const token = newAccountToken()
  const aliceId = (await app.userService.get('alice')).id
  await app.store.accountTokens.issue({ userId: aliceId, purpose: 'email_verification', email: 'alice@example.com', hash: token.hash, expiresAt: Date.now() + 60_000 }, Date.now())
  t.equal((await app.inject({ method: 'POST', url: '/email-verification/confirm', payload: { token: token.token } })).statusCode, 204, 'user.email_verified')
  t.equal((await app.inject({ method: 'PUT', url: '/users/me/password', headers: bearer(four.access_token), payload: { current_password: PASSWORD, new_password: 'New-Orbit-Lamp-77' } })).statusCode, 204)
  t.equal((await app.inject({ method: 'DELETE', url: '/users/me/sessions', headers: bearer(four.access_token) })).statusCode, 204)
  const reset = newAccountToken()
  const aliceRow = await app.store.users.findByUsername('alice')
  await app.store.accountTokens.issue({ userId: aliceRow?.id ?? 0, purpose: 'password_reset', email: 'alice@example.test', hash: reset.hash, expiresAt: Date.now() + 60_000 }, Date.now())
  t.equal((await app.inject({ method: 'POST', url: '/password-reset/confirm', payload: { token: reset.token, new_password: 'Reset-Orbit-Lamp-78' } })).statusCode, 204, 'user.password_reset')

  t.equal((await app.inject({ method: 'POST', url: '/users', payload: { username: 'carol', password: PASSWORD } })).statusCode, 201)
  t.equal((await app.inject({ method: 'PATCH', url: '/users/carol', headers: admin, payload: { full_name: 'Carol C.' } })).statusCode, 200)
  t.equal((await app.inject({ method: 'PATCH', url: '/users/carol', headers: admin, payload: { disabled: true } })).statusCode, 200)
  t.equal((await app.inject({ method: 'DELETE', url: '/users/carol', headers: admin })).statusCode, 204)
  const imported = [{ username: 'johndoe', hashed_password: '$2b$12$EixZaYVK1fsbw1ZfbX3OXePaWxn96p36WQoeG6Lruj3vjPGga31lW' }]
  t.equal((await app.inject({ method: 'POST', url: '/users/import', headers: admin, payload: imported })).statusCode, 200)
  t.equal((await app.inject({ method: 'POST', url: '/clients', headers: admin, payload: { client_id: 'reports' } })).statusCode, 201)
  t.equal((await app.inject({ method: 'PATCH', url: '/clients/reports', headers: admin, payload: { disabled: true } })).statusCode, 200)
  t.equal((await app.inject({ method: 'POST', url: '/clients/reports/secret', headers: admin })).statusCode, 200)
  t.equal((await app.inject({ method: 'DELETE', url: '/clients/reports', headers: admin })).statusCode, 204)

  await addUser(app, 'erin')
  const erin = await login(app, 'erin')
  const { secret: totp, recoveryCodes } = await enrolTotp(app, erin.access_token)
  t.equal((await otpStep(app, await passwordStep(app, 'erin'), { otp: oathtoolCode(totp) })).statusCode, 400, 'login.failed otp_replayed')
  // LOGIN_MAX_FAILURES_PER_USER is 2 here: a right code in between clears the count.
  t.equal((await otpStep(app, await passwordStep(app, 'erin'), { recovery_code: recoveryCodes[0] as string })).statusCode, 200, 'login.second_factor')
  t.equal((await otpStep(app, await passwordStep(app, 'erin'), { otp: oathtoolCode(totp, Date.now() - 10 * STEP_MS) })).statusCode, 400, 'login.failed bad_otp')
  t.equal((await app.inject({ method: 'POST', url: '/users/me/mfa/recovery-codes', headers: bearer(erin.access_token) })).statusCode, 200)
  t.equal((await app.inject({ method: 'DELETE', url: '/users/me/mfa/totp', headers: bearer(erin.access_token), payload: { code: oathtoolCode(totp, Date.now() + STEP_MS) } })).statusCode, 204)
  await enrolTotp(app, erin.access_token)
  t.equal((await app.inject({ method: 'PATCH', url: '/users/erin', headers: admin, payload: { mfa: null } })).statusCode, 200, 'mfa.reset')

  const metrics = await app.metrics.registry.metrics()
  for (const name of AUDIT_EVENT_NAMES) {
    const lines = logs.audit(name)
    t.ok(lines.length >= 1, `${name} is logged`)
    for (const line of lines) {
      for (const field of FIELDS[name]) t.not(line[field], undefined, `${name} carries ${field}`)
      const camel = Object.keys(line).filter(k => /[A-Z]/.test(k) && k !== 'reqId')
      t.same(camel, [], `${name}: no camelCase field`)
    }
    t.equal(sample(metrics, `gatehouse_audit_events_total{event="${name}"}`), lines.length, `${name} is counted once per line`)
  }
  t.same(logs.audit('session.revoked').map(l => l.via).sort(), ['logout', 'revoke', 'sessions'])
  t.equal(sample(metrics, 'gatehouse_login_attempts_total{outcome="inactive"}'), 1)
  t.equal(sample(metrics, 'gatehouse_login_attempts_total{outcome="locked_out"}'), 1)
  t.equal(sample(metrics, 'gatehouse_login_lockouts_total{scope="user"}'), 1)
})

t.test('without METRICS_PORT events are still logged', async t => {
  const { app, logs } = await buildWithLogs(t)
  await addUser(app, 'alice')
  await login(app, 'alice')
  t.equal(logs.audit('login.succeeded').length, 1)
  t.notOk(app.hasDecorator('metrics'))
})
