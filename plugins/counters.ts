import fp from 'fastify-plugin'
import { withFailMode } from '../src/auth/fail-mode-counters.js'
import type { AttemptCounters } from '../src/auth/login-throttle.js'
import { createMemoryCounters } from '../src/auth/memory-counters.js'
import { createRedisCounters } from '../src/auth/redis-counters.js'

declare module 'fastify' {
  interface FastifyInstance {
    counters: AttemptCounters
  }
}

/** Login-attempt counters: in-process, or shared through Redis (with REDIS_FAIL_MODE) when REDIS_URL is set. */
export default fp(async (app) => {
  if (app.redis === undefined) {
    app.decorate('counters', createMemoryCounters(Date.now, app.config.loginLimits.maxCounterEntries))
    return
  }
  const mode = app.config.redisFailMode
  const shared = createRedisCounters(app.redis, app.config.redisKeyPrefix)
  // One login touches several counters: warn once per interval, not once per call.
  const WARN_INTERVAL_MS = 10_000
  let lastWarning = 0
  app.decorate('counters', withFailMode(shared, mode, (err) => {
    if (Date.now() - lastWarning < WARN_INTERVAL_MS) return
    lastWarning = Date.now()
    app.log.warn({ err: { message: (err as Error).message }, redisFailMode: mode },
      mode === 'closed' ? 'login counters unreachable: refusing logins' : 'login counters unreachable: logins are not being counted')
  }))
}, { name: 'counters', dependencies: ['config', 'redis'], fastify: '5.x' })
