import t from 'tap'
import { killMidBurst } from './kill-burst.js'
import { startPostgres } from './postgres-process.js'

// Real processes on a shared 2-core machine: allow more than the default per-file budget.
t.setTimeout(300_000)

t.test('kill -9 during a burst on PostgreSQL (own cluster): every 2xx is durable, nothing half-written', async t => {
  const postgres = await startPostgres(t)
  if (postgres === undefined) return
  await killMidBurst(t, postgres.url)
})
