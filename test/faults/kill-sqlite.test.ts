import t from 'tap'
import { killMidBurst } from './kill-burst.js'

t.test('kill -9 during a burst on SQLite: every 2xx is durable, nothing half-written', async t => {
  await killMidBurst(t, undefined)
})
