import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import { redactUrlPassword } from '../src/startup/dependency-failure.js'
import { retryAtStart } from '../src/startup/retry-at-start.js'
import { isReadOnlyReplica } from '../src/redis/unavailable.js'

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis | undefined
  }
}

/**
 * An ioredis client when REDIS_URL is set; closed with the app. At start it
 * is tried with backoff for STARTUP_TIMEOUT_SECONDS, so the service may start
 * before Redis; once connected, ioredis reconnects by itself.
 */
export default fp(async (app) => {
  const url = app.config.redisUrl
  if (url === undefined) {
    app.decorate('redis', undefined)
    return
  }
  // Loaded only when configured: it would add to every start-up (docs/benchmark.md).
  const { Redis } = await import('ioredis')
  const connected = async (): Promise<Redis> => {
    const redis = new Redis(url, {
      lazyConnect: true,
      connectTimeout: 2000,
      commandTimeout: 1000,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
      // After a failover the old primary answers READONLY: reconnect (the name may now
      // resolve to the new primary); the command itself fails (503 or uncounted).
      reconnectOnError: (err) => isReadOnlyReplica(err) ? 1 : false
    })
    // connect() rejects with "Connection is closed."; the socket's own error says why.
    let cause: Error | undefined
    let started = false
    redis.on('error', (err) => {
      if (started) app.log.warn({ err: { message: err.message } }, 'redis error')
      else cause = err
    })
    try {
      await redis.connect()
    } catch (err) {
      redis.disconnect()
      throw cause ?? err
    }
    started = true
    return redis
  }
  const redis = await retryAtStart(connected, {
    dependency: { variable: 'REDIS_URL', name: 'Redis', url, defaultPort: 6379 },
    timeoutMs: app.config.startupTimeoutSeconds * 1000,
    onRetry: ({ message, attempt, delayMs }) => {
      app.log.warn({ dependency: 'redis', url: redactUrlPassword(url), attempt, retry_in_ms: delayMs }, message)
    }
  })
  app.decorate('redis', redis)
  app.addHook('onClose', async () => { redis.disconnect() })
}, { name: 'redis', dependencies: ['config'], fastify: '5.x' })
