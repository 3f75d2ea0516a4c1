import type { Registry } from 'prom-client'
import { AUDIT_EVENT_NAMES, type AuditEvent } from '../audit/audit-event.js'

/** Read at scrape time, so the gauges never go stale. */
export interface PoolState { totalCount: number, idleCount: number, waitingCount: number }
export interface HashLimiterState { readonly active: number, readonly queued: number }

export interface MetricSources {
  hashLimiter: HashLimiterState
  /** The PostgreSQL pool; undefined on SQLite (no pool gauges are exported). */
  pool: PoolState | undefined
}

export interface ServiceMetrics {
  registry: Registry
  observeRequest: (labels: { method: string, route: string, status: number }, seconds: number) => void
  /** Every audit event by name; login outcomes and lockouts also by their own counters. */
  countAuditEvent: (event: AuditEvent) => void
}

/** Latency buckets from 5 ms (a cached token check) to 5 s (a queued bcrypt under load). */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

/**
 * One registry per service instance (not prom-client's global one), so tests
 * can build several apps in one process. Names follow Prometheus conventions:
 * `gatehouse_` prefix, `_total` counters, `_seconds` durations.
 */
export async function createServiceMetrics (sources: MetricSources): Promise<ServiceMetrics> {
  // Loaded here, not at the top: prom-client and the OpenTelemetry API it pulls
  // in (about 100 modules) cost start-up time only when metrics are on.
  const { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } = await import('prom-client')
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'gatehouse_' })

  const requests = new Counter({
    name: 'gatehouse_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [registry]
  })
  const latency = new Histogram({
    name: 'gatehouse_http_request_duration_seconds',
    help: 'Time from request received to response sent, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry]
  })
  const logins = new Counter({
    name: 'gatehouse_login_attempts_total',
    help: 'Password-grant attempts by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry]
  })
  for (const outcome of ['success', 'bad_credentials', 'inactive', 'locked_out', 'email_unverified', 'bad_otp', 'otp_replayed'] as const) logins.inc({ outcome }, 0)
  const lockouts = new Counter({
    name: 'gatehouse_login_lockouts_total',
    help: 'Lockouts started after too many failed logins, by what was locked (user or ip)',
    labelNames: ['scope'] as const,
    registers: [registry]
  })
  for (const scope of ['user', 'ip'] as const) lockouts.inc({ scope }, 0)
  const auditEvents = new Counter({
    name: 'gatehouse_audit_events_total',
    help: 'Audit events (security events) by event name',
    labelNames: ['event'] as const,
    registers: [registry]
  })
  for (const event of AUDIT_EVENT_NAMES) auditEvents.inc({ event }, 0)

  new Gauge({
    name: 'gatehouse_password_hash_active',
    help: 'Password hashes running now',
    registers: [registry],
    collect () { this.set(sources.hashLimiter.active) }
  })
  new Gauge({
    name: 'gatehouse_password_hash_queued',
    help: 'Password hashes waiting for a slot',
    registers: [registry],
    collect () { this.set(sources.hashLimiter.queued) }
  })
  const pool = sources.pool
  if (pool !== undefined) {
    new Gauge({
      name: 'gatehouse_db_pool_connections',
      help: 'PostgreSQL pool connections by state (total, idle)',
      labelNames: ['state'] as const,
      registers: [registry],
      collect () {
        this.set({ state: 'total' }, pool.totalCount)
        this.set({ state: 'idle' }, pool.idleCount)
      }
    })
    new Gauge({
      name: 'gatehouse_db_pool_waiting',
      help: 'Queries waiting for a PostgreSQL pool connection',
      registers: [registry],
      collect () { this.set(pool.waitingCount) }
    })
  }

  return {
    registry,
    observeRequest ({ method, route, status }, seconds) {
      const labels = { method, route, status_code: String(status) }
      requests.inc(labels)
      latency.observe(labels, seconds)
    },
    countAuditEvent (event) {
      auditEvents.inc({ event: event.event })
      if (event.event === 'login.succeeded') logins.inc({ outcome: 'success' })
      else if (event.event === 'login.failed') logins.inc({ outcome: event.reason })
      else if (event.event === 'login.locked_out') lockouts.inc({ scope: event.scope })
    }
  }
}
