import rateLimit from '@fastify/rate-limit'
import fp from 'fastify-plugin'
import { tooManyRequests } from '../src/errors.js'

/**
 * A general per-client-IP request limit on every route (RATE_LIMIT_MAX per
 * RATE_LIMIT_WINDOW_SECONDS; 0 turns it off). Failed logins have their own,
 * stricter limits (src/auth/login-throttle.ts). With Redis the counts are
 * shared. When Redis is unreachable this coarse limit is skipped whatever
 * REDIS_FAIL_MODE says: failing it closed would take every Bearer call down
 * with Redis, while guessing passwords stays blocked by the login counters,
 * which do follow REDIS_FAIL_MODE.
 * @see https://github.com/fastify/fastify-rate-limit
 */
export default fp(async (app) => {
  const { max, windowSeconds } = app.config.rateLimit
  if (max === 0) return
  await app.register(rateLimit, {
    global: true,
    max,
    timeWindow: windowSeconds * 1000,
    ...(app.redis !== undefined ? { redis: app.redis, nameSpace: `${app.config.redisKeyPrefix}rl:`, skipOnError: true } : {}),
    errorResponseBuilder: (_request, context) => tooManyRequests(context.ttl / 1000, 'Too many requests, slow down')
  })
}, { name: 'rate-limit', dependencies: ['config', 'redis'], fastify: '5.x' })
