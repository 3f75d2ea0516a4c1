import t from 'tap'
import { AUDIT_EVENT_NAMES } from '../../src/audit/audit-event.js'
import { createServiceMetrics } from '../../src/metrics/registry.js'

t.test('gauges read the hash limiter and the PostgreSQL pool at scrape time', async t => {
  const limiter = { active: 1, queued: 3 }
  const pool = { totalCount: 4, idleCount: 1, waitingCount: 2 }
  const metrics = await createServiceMetrics({ hashLimiter: limiter, pool })
  let text = await metrics.registry.metrics()
  t.match(text, /^gatehouse_password_hash_active 1$/m)
  t.match(text, /^gatehouse_password_hash_queued 3$/m)
  t.match(text, /^gatehouse_db_pool_connections\{state="total"\} 4$/m)
  t.match(text, /^gatehouse_db_pool_connections\{state="idle"\} 1$/m)
  t.match(text, /^gatehouse_db_pool_waiting 2$/m)

  limiter.queued = 0
  pool.waitingCount = 0
  text = await metrics.registry.metrics()
  t.match(text, /^gatehouse_password_hash_queued 0$/m, 'no stale values')
  t.match(text, /^gatehouse_db_pool_waiting 0$/m)
})

t.test('every login outcome and lockout scope is exported from the start, at zero', async t => {
  const text = await (await createServiceMetrics({ hashLimiter: { active: 0, queued: 0 }, pool: undefined })).registry.metrics()
  for (const outcome of ['success', 'bad_credentials', 'inactive', 'locked_out', 'email_unverified']) {
    t.match(text, new RegExp(`^gatehouse_login_attempts_total\\{outcome="${outcome}"\\} 0$`, 'm'), outcome)
  }
  for (const scope of ['user', 'ip']) t.match(text, new RegExp(`^gatehouse_login_lockouts_total\\{scope="${scope}"\\} 0$`, 'm'), scope)
})

t.test('every audit event is exported from the start, at zero, and counted from the typed event', async t => {
  const metrics = await createServiceMetrics({ hashLimiter: { active: 0, queued: 0 }, pool: undefined })
  let text = await metrics.registry.metrics()
  for (const event of AUDIT_EVENT_NAMES) t.ok(text.includes(`gatehouse_audit_events_total{event="${event}"} 0\n`), event)
  metrics.countAuditEvent({ event: 'login.locked_out', username: 'alice', scope: 'ip' })
  metrics.countAuditEvent({ event: 'login.failed', username: 'alice', reason: 'locked_out' })
  metrics.countAuditEvent({ event: 'user.created', username: 'bob' })
  text = await metrics.registry.metrics()
  t.match(text, /^gatehouse_audit_events_total\{event="login.locked_out"\} 1$/m)
  t.match(text, /^gatehouse_audit_events_total\{event="user.created"\} 1$/m)
  t.match(text, /^gatehouse_login_lockouts_total\{scope="ip"\} 1$/m)
  t.match(text, /^gatehouse_login_attempts_total\{outcome="locked_out"\} 1$/m)
})
