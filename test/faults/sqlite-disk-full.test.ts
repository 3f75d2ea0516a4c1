import { unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { SQLiteDatabase as SQLite } from '../../src/store/sqlite-driver.js'
import t from 'tap'
import { PASSWORD } from '../helper.js'
import { assertUnavailable, pollStatus } from './expect.js'
import { formBody, jsonBody, request } from './http-client.js'
import { freePort, serviceEnv, startService } from '../child-process.js'
import { fillDisk, mountSmallDisk } from './small-disk.js'

// Real processes on a shared 2-core machine: allow more than the default per-file budget.
t.setTimeout(120_000)

interface Tokens { access_token: string, refresh_token: string }

t.test('SQLite on a full disk: writes answer 503 with Retry-After, reads keep working, ready 503, the process stays up, writes resume when space returns', async t => {
  const dataDir = mountSmallDisk(t)
  if (dataDir === undefined) return
  const service = await startService(t, serviceEnv(dataDir, await freePort(), { SIGNUP_ENABLED: 'true', HASH_QUEUE_TIMEOUT_MS: '60000', HASH_QUEUE_MAX_PER_IP: '64' }))
  const call = async (path: string, options: Parameters<typeof request>[1] = {}) => await request(`${service.baseUrl}${path}`, { timeoutMs: 10_000, ...options })
  const register = async (username: string) => await call('/users', { method: 'POST', ...jsonBody({ username, password: PASSWORD }) })
  const passwordGrant = async (username: string) => await call('/token', { method: 'POST', ...formBody({ username, password: PASSWORD }) })
  const refresh = async (token: string) => await call('/token', { method: 'POST', ...formBody({ grant_type: 'refresh_token', refresh_token: token }) })
  const read = async (path: string, token: string) => await call(path, { headers: { authorization: `Bearer ${token}` } })

  for (const username of ['alice', 'bob']) t.equal((await register(username)).status, 201, `${username} registered`)
  const alice = (await passwordGrant('alice')).json<Tokens>()
  t.equal((await call('/health/ready')).status, 200, 'ready before the disk fills')

  // Move the write-ahead log into the database file and empty it, so that no
  // room is left in it: the very next write needs new space on the disk.
  const file = join(dataDir, 'gatehouse.sqlite')
  const checkpoint = new SQLite(file)
  t.match(checkpoint.pragma('wal_checkpoint(TRUNCATE)'), [{ busy: 0 }], 'write-ahead log emptied')
  checkpoint.close()
  const filler = join(dataDir, 'filler')
  fillDisk(filler)

  for (const attempt of [1, 2]) {
    assertUnavailable(t, await register(`carol${attempt}`), `attempt ${attempt}: registration`)
    assertUnavailable(t, await passwordGrant('bob'), `attempt ${attempt}: password grant (writes a session)`)
    assertUnavailable(t, await refresh(alice.refresh_token), `attempt ${attempt}: refresh grant (a transaction whose COMMIT fails)`)
    t.equal((await read('/users/me', alice.access_token)).status, 200, `attempt ${attempt}: GET /users/me still works`)
    t.equal((await read('/users/me/sessions', alice.access_token)).status, 200, `attempt ${attempt}: GET /users/me/sessions (a query) still works`)
    assertUnavailable(t, await call('/health/ready'), `attempt ${attempt}: /health/ready`)
    t.equal((await call('/health/live')).status, 200, `attempt ${attempt}: /health/live stays 200`)
  }
  t.equal(service.child.exitCode, null, 'the service is still running')

  unlinkSync(filler)
  t.equal(await pollStatus(async () => await call('/health/ready'), 200), 200, '/health/ready is 200 once space is back')
  const rotated = await refresh(alice.refresh_token)
  t.equal(rotated.status, 200, 'the refresh token was not consumed by the rotations that failed')
  t.equal((await passwordGrant('bob')).status, 200, 'bob logs in')
  t.equal((await register('carol')).status, 201, 'registration works again')
  t.equal((await read('/users/me', rotated.json<Tokens>().access_token)).status, 200)
  t.equal(service.child.exitCode, null, 'no restart happened')
})
