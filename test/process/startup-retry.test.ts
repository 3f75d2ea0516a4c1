import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { tempDir } from '../helper.js'
import { freePort, requireBuild, serviceEnv, sleep, spawnService, waitFor, waitForService } from '../child-process.js'
import { startPostgres } from '../faults/postgres-process.js'
import { PrivateRedis } from '../scale/redis-server.js'

requireBuild()

// Start order must not matter (compose, orchestrators): the service waits for
// PostgreSQL and Redis, and says clearly which one it gave up on.

t.test('PostgreSQL never comes: exit 1 naming DATABASE_URL and the reason, after STARTUP_TIMEOUT_SECONDS', async t => {
  const dataDir = tempDir(t)
  const closed = await freePort()
  const url = `postgres://gatehouse:hunter2-db@127.0.0.1:${closed}/gatehouse`
  const started = Date.now()
  const service = spawnService(t, serviceEnv(dataDir, await freePort(), { DATABASE_URL: url, STARTUP_TIMEOUT_SECONDS: '2' }))
  t.equal(await service.exited, 1)
  const elapsed = Date.now() - started
  t.ok(elapsed >= 2000 && elapsed < 15_000, `gave up after the timeout (${elapsed} ms)`)
  t.match(service.stderr(), `DATABASE_URL: PostgreSQL at 127.0.0.1:${closed} refused the connection`)
  t.match(service.stderr(), /STARTUP_TIMEOUT_SECONDS/)
  t.match(service.stdout(), /"level":40.*"dependency":"postgresql".*DATABASE_URL: PostgreSQL at 127\.0\.0\.1:\d+ refused the connection/, 'each failed attempt is a warning')
  t.notMatch(service.output(), /hunter2-db/, 'the password is never shown')
  t.notMatch(service.output(), /ECONNREFUSED/, 'never a bare error code')
})

t.test('Redis never comes: exit 1 naming REDIS_URL', async t => {
  const closed = await freePort()
  const service = spawnService(t, serviceEnv(tempDir(t), await freePort(), { REDIS_URL: `redis://127.0.0.1:${closed}`, STARTUP_TIMEOUT_SECONDS: '1' }))
  t.equal(await service.exited, 1)
  t.match(service.stderr(), `REDIS_URL: Redis at 127.0.0.1:${closed} refused the connection`)
})

t.test('an unknown host is named as such', async t => {
  const service = spawnService(t, serviceEnv(tempDir(t), await freePort(), { REDIS_URL: 'redis://no-such-host.invalid:6379', STARTUP_TIMEOUT_SECONDS: '0' }))
  t.equal(await service.exited, 1)
  t.match(service.stderr(), 'REDIS_URL: Redis at no-such-host.invalid:6379 was not found') // host not found, or DNS not answering
})

t.test('a service started before its PostgreSQL comes up once the database starts', async t => {
  const postgres = await startPostgres(t)
  if (postgres === undefined) return
  await postgres.stop('fast')
  const service = spawnService(t, serviceEnv(tempDir(t), await freePort(), { DATABASE_URL: postgres.url, LOG_LEVEL: 'info' }))
  // The dependency starts only once the service has tried it (its start-up takes a while on a busy machine).
  await waitFor('a failed attempt', async () => /DATABASE_URL: PostgreSQL at 127\.0\.0\.1:\d+ refused the connection/.test(service.output()), 300)
  await sleep(1000)
  t.equal(service.child.exitCode, null, 'still waiting, not exited')
  await postgres.start()
  await waitForService(service, 'ready', 20_000)
  t.match(service.output(), /"msg":"store ready"/)
})

t.test('a service started before its Redis comes up once Redis starts', async t => {
  const redis = new PrivateRedis(t, await freePort(), tempDir(t, 'gatehouse-redis-'))
  const service = spawnService(t, serviceEnv(tempDir(t), await freePort(), { REDIS_URL: redis.url }))
  await waitFor('a failed attempt', async () => /REDIS_URL: Redis at 127\.0\.0\.1:\d+ refused the connection/.test(service.output()), 300)
  await sleep(1000)
  t.equal(service.child.exitCode, null, 'still waiting, not exited')
  await redis.start()
  await waitForService(service, 'ready', 20_000)
})

t.test('an embedded store that cannot be opened fails at once, without retries', async t => {
  const dataDir = tempDir(t)
  const notADirectory = join(dataDir, 'a-file')
  writeFileSync(notADirectory, '')
  const started = Date.now()
  const service = spawnService(t, serviceEnv(dataDir, await freePort(), { DATABASE_URL: `sqlite://${notADirectory}/gatehouse.sqlite` }))
  t.not(await service.exited, 0)
  t.ok(Date.now() - started < 10_000, 'no waiting')
  t.notMatch(service.output(), /STARTUP_TIMEOUT_SECONDS/)
})
