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

t.test('PostgreSQL hanging (SIGSTOP) instead of refusing: bounded 503s, then recovery', async t => {
  const postgres = await startPostgres(t)
  if (postgres === undefined) return
  const service = await startService(t, serviceEnv(tempDir(t), await freePort(), {
    DATABASE_URL: postgres.url, SIGNUP_ENABLED: 'true', DATABASE_POOL_SIZE: '4'
  }))
  const call = async (path: string, options: Parameters<typeof request>[1] = {}) =>
    await request(`${service.baseUrl}${path}`, { timeoutMs: HANG, ...options })
  t.equal((await call('/users', { method: 'POST', ...jsonBody({ username: 'alice', password: PASSWORD }) })).status, 201)
  const alice = (await call('/token', { method: 'POST', ...formBody({ username: 'alice', password: PASSWORD }) })).json<{ access_token: string, refresh_token: string }>()
  const me = async () => await call('/users/me', { headers: { authorization: `Bearer ${alice.access_token}` } })
  const refresh = async () => await call('/token', { method: 'POST', ...formBody({ grant_type: 'refresh_token', refresh_token: alice.refresh_token }) })
  t.equal((await me()).status, 200)

  postgres.signalAll('SIGSTOP')
  try {
    const [first, second, rotation, ready] = await Promise.all([me(), me(), refresh(), call('/health/ready')])
    assertUnavailable(t, first, 'GET /users/me')
    assertUnavailable(t, second, 'a second GET /users/me at the same time')
    assertUnavailable(t, rotation, 'refresh grant (a transaction)')
    assertUnavailable(t, ready, '/health/ready')
    assertUnavailable(t, await me(), 'GET /users/me once the pool is full of stuck connections')
    t.equal((await call('/health/live')).status, 200, '/health/live stays 200')
  } finally {
    postgres.signalAll('SIGCONT')
  }

  t.equal(await pollStatus(async () => await call('/health/ready'), 200), 200, '/health/ready recovers by itself')
  t.equal((await me()).status, 200, 'the token works again')
  t.equal((await refresh()).status, 200, 'the refresh token was not consumed by the rotation that failed')
})
