import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { AuditEvent } from '../src/audit/audit-event.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Writes one audit line for the event (and counts it when metrics are on). */
    audit: (event: AuditEvent) => void
  }
}

/**
 * One structured audit line per security event. pino adds the request id
 * (reqId) from the request logger; `actor` is the authenticated user, if any.
 * Every event is also counted for /metrics when the metrics plugin is registered.
 */
export default fp(async (app) => {
  app.decorateRequest('audit', function (this: FastifyRequest, event: AuditEvent) {
    this.log.info({ audit: true, actor: this.auth?.user.username ?? null, ip: this.ip, ...event }, `audit ${event.event}`)
    // Looked up per event, so the registration order of the two plugins does not matter.
    if (this.server.hasDecorator('metrics')) this.server.metrics.countAuditEvent(event)
  })
}, { name: 'audit', fastify: '5.x' })
