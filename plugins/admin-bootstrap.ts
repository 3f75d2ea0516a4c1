import fp from 'fastify-plugin'
import type { AuditEvent } from '../src/audit/audit-event.js'
import { bootstrapAdmin, readAdminBootstrap } from '../src/users/admin-bootstrap.js'

/**
 * With GATEHOUSE_ADMIN_USERNAME set: creates the first admin once the store
 * is migrated, if no user exists (src/users/admin-bootstrap.ts). Runs before
 * the service listens; a refused password stops the start (ConfigError).
 */
export default fp(async (app) => {
  const settings = app.config.adminBootstrap
  if (settings === undefined) return
  const admin = readAdminBootstrap(settings)
  if (admin.variable === 'GATEHOUSE_ADMIN_PASSWORD') {
    app.log.warn('GATEHOUSE_ADMIN_PASSWORD is set in the environment, where other processes and `docker inspect` can read it: prefer GATEHOUSE_ADMIN_PASSWORD_FILE, and remove it once the admin exists')
  }
  const result = await bootstrapAdmin({ store: app.store, hasher: app.passwordHasher }, admin)
  if (result.outcome === 'skipped') {
    app.log.info({ username: admin.username, reason: result.reason },
      result.reason === 'admin_exists' ? 'admin bootstrap skipped: the admin exists' : 'admin bootstrap skipped: users exist already')
    return
  }
  const event: AuditEvent = { event: 'user.created', username: result.user.username }
  app.log.info({ audit: true, actor: null, via: 'bootstrap', scopes: result.user.scopes, ...event }, `audit ${event.event}`)
  if (app.hasDecorator('metrics')) app.metrics.countAuditEvent(event)
}, { name: 'admin-bootstrap', dependencies: ['config', 'store', 'passwords'], fastify: '5.x' })
