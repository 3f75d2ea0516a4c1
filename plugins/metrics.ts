import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { createServiceMetrics, type ServiceMetrics } from '../src/metrics/registry.js'

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ServiceMetrics
  }
}

/** Metrics listeners opened per app, closed with it (hooks cannot be added once the app is ready). */
const listeners = new WeakMap<FastifyInstance, Set<Server>>()

/** Routes not matched (404s, scans) share one label value, so random URLs cannot grow the series count. */
const UNMATCHED_ROUTE = 'unmatched'

/**
 * Serves the Prometheus text format on its own listener (METRICS_PORT), never
 * on the public port: scrapers need no token, and the operator decides who
 * can reach that port. Resolves with the bound address.
 */
export async function listenForMetrics (app: FastifyInstance, host: string, port: number): Promise<AddressInfo> {
  const { registry } = app.metrics
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0]
    if (request.method !== 'GET' || path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
      return
    }
    registry.metrics().then(
      body => { response.writeHead(200, { 'content-type': registry.contentType }).end(body) },
      (err: unknown) => {
        app.log.error({ err }, 'metrics collection failed')
        response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n')
      })
  })
  listeners.get(app)?.add(server)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host, port }, () => { server.off('error', reject); resolve() })
  })
  const address = server.address() as AddressInfo
  app.log.info({ address: address.address, port: address.port }, 'metrics listening on /metrics')
  return address
}

/** Request counts and latencies per route pattern, login outcomes, hashing and pool gauges, process metrics. */
export default fp(async (app) => {
  const metrics = await createServiceMetrics({
    hashLimiter: app.passwordHasher.limiter,
    pool: app.store.handle.pool
  })
  app.decorate('metrics', metrics)
  const servers = new Set<Server>()
  listeners.set(app, servers)
  app.addHook('onClose', async () => {
    await Promise.all([...servers].map(async server => {
      server.closeAllConnections()
      await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    }))
  })
  app.addHook('onResponse', (request, reply, done) => {
    metrics.observeRequest({
      method: request.method,
      route: request.routeOptions.url ?? UNMATCHED_ROUTE,
      status: reply.statusCode
    }, reply.elapsedTime / 1000)
    done()
  })
}, { name: 'metrics', dependencies: ['store', 'passwords'], fastify: '5.x' })
