import t from 'tap'
import { addUser, bearer, form, login, PASSWORD, refresh, type Tokens } from '../helper.js'
import { buildWithLogs } from '../logs.js'

const NEW_PASSWORD = 'New-Orbit-Lamp-77'
const WRONG_PASSWORD = 'Wrong-Lamp-Orbit-42'

t.test('audit lines for every security event, and no secret anywhere in the logs', async t => {
  const { app, logs } = await buildWithLogs(t, { SIGNUP_ENABLED: 'true', REFRESH_TOKEN_COOKIE: 'true' })
  await addUser(app, 'root', { scopes: ['users:admin'] })
  await addUser(app, 'alice')
  const secrets: string[] = [PASSWORD, NEW_PASSWORD, WRONG_PASSWORD]
  const keep = (tokens: Tokens) => { secrets.push(tokens.access_token, tokens.refresh_token); return tokens }

  const root = keep(await login(app, 'root'))
  const admin = bearer(root.access_token)
  await app.inject({ method: 'POST', url: '/token', ...form({ username: 'alice', password: WRONG_PASSWORD }) })
  const alice = keep(await login(app, 'alice'))
  const rotated = keep((await refresh(app, alice.refresh_token)).json())
  await refresh(app, alice.refresh_token) // reuse
  const second = keep(await login(app, 'alice'))
  // The refresh token as a cookie, too: its value must not be logged either.
  const viaCookie = await app.inject({
    method: 'POST',
    url: '/token',
    ...form({ grant_type: 'refresh_token' }),
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `gatehouse_refresh=${second.refresh_token}`, 'x-requested-with': 'fetch' }
  })
  t.equal(viaCookie.statusCode, 200)
  const third = keep(viaCookie.json())
  await app.inject({ method: 'PUT', url: '/users/me/password', headers: bearer(third.access_token), payload: { current_password: PASSWORD, new_password: NEW_PASSWORD } })
  await app.inject({ method: 'POST', url: '/logout', headers: bearer(third.access_token) })
  const fourth = keep(await login(app, 'alice', NEW_PASSWORD))
  await app.inject({ method: 'POST', url: '/revoke', ...form({ token: fourth.refresh_token }) })
  await app.inject({ method: 'POST', url: '/users', payload: { username: 'carol', password: PASSWORD } })
  await app.inject({ method: 'PATCH', url: '/users/carol', headers: admin, payload: { full_name: 'Carol C.' } })
  await app.inject({ method: 'PATCH', url: '/users/carol', headers: admin, payload: { disabled: true } })
  await app.inject({ method: 'DELETE', url: '/users/carol', headers: admin })
  await app.inject({ method: 'GET', url: '/users/me', headers: bearer(rotated.access_token) }) // a refused token is not logged either

  const expected: Array<[string, Record<string, unknown>]> = [
    ['login.succeeded', { username: 'alice' }],
    ['login.failed', { username: 'alice', reason: 'bad_credentials' }],
    ['token.refreshed', { username: 'alice' }],
    ['token.reuse_detected', { username: 'alice' }],
    ['session.revoked', { via: 'logout', username: 'alice', actor: 'alice' }],
    ['session.revoked', { via: 'revoke', username: 'alice' }],
    ['user.password_changed', { username: 'alice', actor: 'alice' }],
    ['user.created', { username: 'carol' }],
    ['user.updated', { username: 'carol', actor: 'root' }],
    ['user.disabled', { username: 'carol', actor: 'root' }],
    ['user.deleted', { username: 'carol', actor: 'root' }]
  ]
  for (const [event, fields] of expected) {
    const lines = logs.audit(event).filter(l => Object.entries(fields).every(([k, v]) => l[k] === v))
    t.ok(lines.length >= 1, `${event} ${JSON.stringify(fields)} is logged`)
    for (const line of lines) {
      t.type(line.reqId, 'string', `${event} carries the request id`)
      t.ok('actor' in line, `${event} names the actor (or null)`)
    }
  }

  const text = logs.text()
  t.ok(logs.lines().length > 20, 'the log was captured')
  for (const secret of secrets) {
    t.notOk(text.includes(secret), `no secret in the logs (${secret.slice(0, 6)}…)`)
  }
  t.notOk(/authorization"\s*:\s*"Bearer/i.test(text), 'no authorization header')
  t.notOk(text.includes('gatehouse_refresh='), 'no cookie header')
  t.notOk(/\$2[aby]\$/.test(text), 'no password hash')
})

t.test('the request id of the audit line is the request\'s', async t => {
  const { app, logs } = await buildWithLogs(t)
  await addUser(app, 'alice')
  await login(app, 'alice')
  const [line] = logs.audit('login.succeeded')
  const incoming = logs.lines().find(l => l.msg === 'incoming request' && (l.req as { url?: string } | undefined)?.url === '/token')
  t.ok(line)
  t.ok(incoming)
  t.equal(line?.reqId, incoming?.reqId)
})
