import type { FastifyRequest } from 'fastify'
import { countAuditEvent } from './metrics.js'

/**
 * One structured audit line per security event. pino adds the request id
 * (reqId) from the request logger; `actor` is the authenticated user, if any.
 * Login outcomes and lockouts are also counted for /metrics.
 */
export function audit (request: FastifyRequest, fields: { event: string } & Record<string, unknown>): void {
  request.log.info({ audit: true, actor: request.auth?.user.username ?? null, ip: request.ip, ...fields }, `audit ${fields.event}`)
  if (request.server.hasDecorator('metrics')) countAuditEvent(request.server.metrics, fields)
}
