import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { needRedis, REDIS_URL } from '../services.js'
import type { Test } from 'tap'

/** Deletes every key under `prefix` (SCAN, so it never blocks Redis). */
export async function deleteKeys (url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  await redis.connect()
  try {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
      cursor = next
      if (keys.length > 0) await redis.del(...keys)
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
}

/**
 * The shared Redis with a key prefix of its own for this test, so parallel
 * runs never see each other's counters; its keys are deleted in teardown.
 * Resolves undefined when Redis is not reachable (skipped, or failed under CI).
 */
export async function redisForTest (t: Test): Promise<{ REDIS_URL: string, REDIS_KEY_PREFIX: string } | undefined> {
  if (!await needRedis(t)) return undefined
  const prefix = `gatehouse-test-${randomBytes(6).toString('hex')}:`
  t.teardown(async () => { await deleteKeys(REDIS_URL, prefix) })
  return { REDIS_URL, REDIS_KEY_PREFIX: prefix }
}
