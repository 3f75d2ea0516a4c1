import t from 'tap'
import { build } from '../helper.js'

t.test('liveness and readiness', async t => {
  const app = await build(t)
  const live = await app.inject({ method: 'GET', url: '/health/live' })
  t.equal(live.statusCode, 200)
  t.same(live.json(), { status: 'ok' })
  const ready = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(ready.statusCode, 200)
  t.same(ready.json(), { status: 'ok' })
})

t.test('readiness fails with 503 when the store does not answer', async t => {
  const app = await build(t)
  t.capture(app.store, 'ping', async () => { throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) })
  const res = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(res.statusCode, 503)
  t.equal(res.json().error, 'temporarily_unavailable')
  t.ok(res.headers['retry-after'])
  t.equal((await app.inject({ method: 'GET', url: '/health/live' })).statusCode, 200, 'still alive')
})
