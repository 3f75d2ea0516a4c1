import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import { isReadOnlyReplica } from '../src/redis/unavailable.js'

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis | undefined
  }
}

/** An ioredis client when REDIS_URL is set; closed with the app. */
export default fp(async (app) => {
  const url = app.config.redisUrl
  if (url === undefined) {
    app.decorate('redis', undefined)
    return
  }
  // Loaded only when configured: it would add to every start-up (docs/benchmark.md).
  const { Redis } = await import('ioredis')
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
  redis.on('error', (err) => { app.log.warn({ err: { message: err.message } }, 'redis error') })
  await redis.connect()
  app.decorate('redis', redis)
  app.addHook('onClose', async () => { redis.disconnect() })
}, { name: 'redis', dependencies: ['config'], fastify: '5.x' })
