import t from 'tap'
import { killMidBurst } from './kill-burst.js'

// Real processes on a shared 2-core machine: allow more than the default per-file budget.
t.setTimeout(300_000)

t.test('kill -9 during a burst on SQLite: every 2xx is durable, nothing half-written', async t => {
  await killMidBurst(t, undefined)
})
