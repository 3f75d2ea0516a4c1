import t, { type Test } from 'tap'
import { redisForTest } from './redis-prefix.js'

export type CounterStoreName = 'memory' | 'redis'

/**
 * Runs a test once with in-process counters and once with Redis counters;
 * `env` is what the app needs to use that store (nothing, or REDIS_URL and a
 * per-test key prefix).
 */
export function eachCounterStore (name: string, fn: (t: Test, env: Record<string, string>, kind: CounterStoreName) => Promise<void>): void {
  t.test(`${name} [memory]`, async t => { await fn(t, {}, 'memory') })
  t.test(`${name} [redis]`, async t => {
    const redis = await redisForTest(t)
    if (redis !== undefined) await fn(t, redis, 'redis')
  })
}
