import type { Redis } from 'ioredis'
import type { CounterStore } from './login-throttle.js'

/**
 * One round trip, atomic on the server: add one, start the window on the
 * first increment, and report the count with the milliseconds left. A key
 * that somehow lost its expiry gets one again, so no counter lives forever.
 */
const INCREMENT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if count == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`

const READ = `
local count = redis.call('GET', KEYS[1])
if not count then return {0, 0} end
return {tonumber(count), redis.call('PTTL', KEYS[1])}
`

interface CounterCommands {
  gatehouseIncrement: (key: string, windowMs: number) => Promise<[number, number]>
  gatehouseRead: (key: string) => Promise<[number, number]>
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000))

/** Login-failure counters shared by every instance through Redis. Keys are `<prefix>login:<key>`. */
export function createRedisCounters (redis: Redis, prefix: string): CounterStore {
  if (!('gatehouseIncrement' in redis)) {
    redis.defineCommand('gatehouseIncrement', { numberOfKeys: 1, lua: INCREMENT })
    redis.defineCommand('gatehouseRead', { numberOfKeys: 1, lua: READ })
  }
  const commands = redis as unknown as CounterCommands
  const keyOf = (key: string) => `${prefix}login:${key}`

  return {
    async increment (key, windowSeconds) {
      const [count, ttlMs] = await commands.gatehouseIncrement(keyOf(key), windowSeconds * 1000)
      return { count, ttlSeconds: seconds(ttlMs) }
    },
    async get (key) {
      const [count, ttlMs] = await commands.gatehouseRead(keyOf(key))
      return count === 0 ? undefined : { count, ttlSeconds: seconds(ttlMs) }
    },
    async reset (key) {
      await redis.del(keyOf(key))
    }
  }
}
