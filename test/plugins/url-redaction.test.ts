import t from 'tap'
import { redactUrl } from '../../logger.js'
import { addUser, login } from '../helper.js'
import { buildWithLogs } from '../logs.js'

t.test('redactUrl: the values of secret query parameters are replaced, the rest kept', async t => {
  t.equal(redactUrl('/users/me'), '/users/me', 'no query: unchanged')
  t.equal(redactUrl('/users/me?access_token=abc.def.ghi'), '/users/me?access_token=[redacted]')
  t.equal(redactUrl('/x?limit=2&refresh_token=r1&token=t1&password=p1&code=c1&after=bob'),
    '/x?limit=2&refresh_token=[redacted]&token=[redacted]&password=[redacted]&code=[redacted]&after=bob')
  t.equal(redactUrl('/x?ACCESS_TOKEN=a&access%5Ftoken=b&pass%77ord=c'), '/x?ACCESS_TOKEN=[redacted]&access%5Ftoken=[redacted]&pass%77ord=[redacted]', 'any case, percent-encoded names')
  t.equal(redactUrl('/x?token'), '/x?token=[redacted]', 'a name without a value')
  t.equal(redactUrl('/x?tokens=1&mytoken=2&token%ZZ=3'), '/x?tokens=1&mytoken=2&token%ZZ=3', 'other names, and a malformed one, are kept')
  t.equal(redactUrl('/x?'), '/x?')
  t.equal(redactUrl('/token?mfa_token=m&otp=123456&recovery_code=r&grant_type=g'), '/token?mfa_token=[redacted]&otp=[redacted]&recovery_code=[redacted]&grant_type=g', 'the second factor\'s')
})

t.test('a token or password in a query string never reaches the log', async t => {
  const { app, logs } = await buildWithLogs(t)
  await addUser(app, 'alice')
  const { access_token: token, refresh_token: refresh } = await login(app, 'alice')
  const secrets = [token, refresh, 'Hunter-2-Secret', 'auth-code-123']
  const urls = [
    `/users/me?access_token=${token}`,
    `/users/me?foo=1&refresh_token=${refresh}&bar=2`,
    '/token?password=Hunter-2-Secret&code=auth-code-123',
    `/nope?token=${token}`,
    `/users/%ZZ?access_token=${token}`
  ]
  for (const url of urls) {
    const res = await app.inject({ method: 'GET', url })
    t.notOk(res.body.includes(token), `${url.slice(0, 12)}…: the answer does not echo the token either`)
  }
  const text = logs.text()
  for (const secret of secrets) t.notOk(text.includes(secret), `${secret.slice(0, 8)}… is not logged`)
  const logged = logs.lines().map(l => (l.req as { url?: string } | undefined)?.url).filter(u => u !== undefined)
  t.ok(logged.includes('/users/me?access_token=[redacted]'), 'the URL is logged, redacted')
  t.ok(logged.includes('/users/me?foo=1&refresh_token=[redacted]&bar=2'))
})
