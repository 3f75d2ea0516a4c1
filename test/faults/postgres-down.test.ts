import t from 'tap'
import { PASSWORD, tempDir } from '../helper.js'
import { assertUnavailable, pollStatus } from './expect.js'
import { formBody, jsonBody, request } from './http-client.js'
import { startPostgres } from './postgres-process.js'
import { freePort, serviceEnv, startService } from '../child-process.js'

// Real processes on a shared 2-core machine: allow more than the default per-file budget.
t.setTimeout(300_000)

/** A client timeout, not a speed assertion: beyond it the service is considered hung. */
const HANG = 10_000

t.test('PostgreSQL stopped while serving: fast 503s, ready 503, live 200, then recovery without restart and without lost rows', async t => {
  const postgres = await startPostgres(t)
  if (postgres === undefined) return
  const port = await freePort()
  const service = await startService(t, serviceEnv(tempDir(t), port, {
    DATABASE_URL: postgres.url,
    SIGNUP_ENABLED: 'true',
    DATABASE_POOL_SIZE: '4'
  }))
  const url = (path: string) => `${service.baseUrl}${path}`
  const call = async (path: string, options: Parameters<typeof request>[1] = {}) => await request(url(path), { timeoutMs: HANG, ...options })
  const passwordGrant = async (username: string) => await call('/token', { method: 'POST', ...formBody({ username, password: PASSWORD }) })
  const me = async (token: string) => await call('/users/me', { headers: { authorization: `Bearer ${token}` } })

  for (const username of ['alice', 'bob']) {
    t.equal((await call('/users', { method: 'POST', ...jsonBody({ username, password: PASSWORD }) })).status, 201, `${username} registered`)
  }
  const alice = (await passwordGrant('alice')).json<{ access_token: string, refresh_token: string }>()
  t.equal((await me(alice.access_token)).status, 200)
  t.equal((await call('/health/ready')).status, 200)

  await postgres.stop('fast')

  for (const round of [1, 2]) {
    assertUnavailable(t, await me(alice.access_token), `round ${round}: GET /users/me`)
    assertUnavailable(t, await passwordGrant('bob'), `round ${round}: password grant`)
    assertUnavailable(t, await call('/token', { method: 'POST', ...formBody({ grant_type: 'refresh_token', refresh_token: alice.refresh_token }) }), `round ${round}: refresh grant`)
    assertUnavailable(t, await call('/health/ready'), `round ${round}: /health/ready`)
    t.equal((await call('/health/live')).status, 200, `round ${round}: /health/live stays 200`)
  }
  t.equal(service.child.exitCode, null, 'the service is still running')

  await postgres.start()
  t.equal(await pollStatus(async () => await call('/health/ready'), 200), 200, '/health/ready recovers by itself')

  t.equal((await me(alice.access_token)).status, 200, 'the access token from before the outage works again')
  const rotated = await call('/token', { method: 'POST', ...formBody({ grant_type: 'refresh_token', refresh_token: alice.refresh_token }) })
  t.equal(rotated.status, 200, 'the refresh token from before the outage rotates: its session survived')
  t.equal((await passwordGrant('bob')).status, 200, 'bob, registered before the outage, logs in')
  t.equal(service.child.exitCode, null, 'no restart happened')
})
