import type { Redis } from 'ioredis'
import type { AttemptCounters } from './login-throttle.js'

/*
 * One hash per username or IP: n (attempts counted in this window, failures
 * plus reservations in flight), f (failures), end (window end, ms), lv and
 * lvend (lockouts so far, remembered until lvend), g (the user's lockout
 * generation). Each operation is one script, one round trip, atomic on the
 * server, and reads the time from Redis so that instances agree on it. The
 * key expires when both its window and its escalation level have.
 */
const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

/** ARGV: windowMs, maxWindowMs, then max and generation per key. Reply {1} or {0, index, ms left}. */
const RESERVE = NOW + `
local windowMs, maxWindowMs = tonumber(ARGV[1]), tonumber(ARGV[2])
local states = {}
for i, key in ipairs(KEYS) do
  local max, gen = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
  local h = redis.call('HMGET', key, 'n', 'f', 'end', 'lv', 'lvend', 'g')
  local s = { n = tonumber(h[1]) or 0, f = tonumber(h[2]) or 0, e = tonumber(h[3]) or 0,
              lv = tonumber(h[4]) or 0, lve = tonumber(h[5]) or 0, g = tonumber(h[6]) or 0 }
  if s.g < gen then s = { n = 0, f = 0, e = 0, lv = 0, lve = 0, g = gen } end
  if s.e <= now then s.n, s.f, s.e = 0, 0, 0 end
  if s.lve <= now then s.lv, s.lve = 0, 0 end
  if s.n >= max then return { 0, i - 1, s.e - now } end
  states[i] = s
end
for i, key in ipairs(KEYS) do
  local s = states[i]
  if s.e == 0 then s.e = now + math.min(windowMs * 2 ^ math.min(s.lv, 30), maxWindowMs) end
  redis.call('HSET', key, 'n', s.n + 1, 'f', s.f, 'end', s.e, 'lv', s.lv, 'lvend', s.lve, 'g', s.g)
  redis.call('PEXPIREAT', key, math.max(s.e, s.lve))
end
return { 1 }
`

/** ARGV: levelTtlMs, then max per key. Reply: per key, 1 when this failure started a lockout. */
const FAIL = NOW + `
local levelTtl = tonumber(ARGV[1])
local started = {}
for i, key in ipairs(KEYS) do
  started[i] = 0
  local h = redis.call('HMGET', key, 'end', 'lv', 'lvend')
  local e = tonumber(h[1]) or 0
  if e > now then
    local f = redis.call('HINCRBY', key, 'f', 1)
    if f == tonumber(ARGV[1 + i]) then
      local lv = 0
      if (tonumber(h[3]) or 0) > now then lv = tonumber(h[2]) or 0 end
      local lve = now + levelTtl
      redis.call('HSET', key, 'lv', lv + 1, 'lvend', lve)
      redis.call('PEXPIREAT', key, math.max(e, lve))
      started[i] = 1
    end
  end
end
return started
`

/** ARGV: per key, '1' to clear its count, '0' to give one reservation back. */
const RELEASE = NOW + `
for i, key in ipairs(KEYS) do
  local h = redis.call('HMGET', key, 'n', 'f', 'end', 'lv', 'lvend')
  if h[1] then
    local n, f, e = tonumber(h[1]) or 0, tonumber(h[2]) or 0, tonumber(h[3]) or 0
    local lv = 0
    if (tonumber(h[5]) or 0) > now then lv = tonumber(h[4]) or 0 end
    if e <= now or ARGV[i] == '1' then n, f, e = 0, 0, 0 elseif n > 0 then n = n - 1 end
    if n == 0 and f == 0 and lv == 0 then
      redis.call('DEL', key)
    else
      redis.call('HSET', key, 'n', n, 'f', f, 'end', e)
    end
  end
end
return 1
`

interface CounterCommands {
  gatehouseReserve: (...args: Array<string | number>) => Promise<number[]>
  gatehouseFail: (...args: Array<string | number>) => Promise<number[]>
  gatehouseRelease: (...args: Array<string | number>) => Promise<number>
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000))

/** Login-attempt counters shared by every instance through Redis. Keys are `<prefix>throttle:<user:name|ip:address>`. */
export function createRedisCounters (redis: Redis, prefix: string): AttemptCounters {
  if (!('gatehouseReserve' in redis)) {
    redis.defineCommand('gatehouseReserve', { lua: RESERVE })
    redis.defineCommand('gatehouseFail', { lua: FAIL })
    redis.defineCommand('gatehouseRelease', { lua: RELEASE })
  }
  const commands = redis as unknown as CounterCommands
  const keyOf = (key: string) => `${prefix}throttle:${key}`

  return {
    async reserve (subjects, policy) {
      const reply = await commands.gatehouseReserve(subjects.length, ...subjects.map(s => keyOf(s.key)),
        policy.windowMs, policy.maxWindowMs, ...subjects.flatMap(s => [s.max, s.generation]))
      if (reply[0] === 1) return { ok: true }
      return { ok: false, blocked: reply[1] ?? 0, retryAfterSeconds: seconds(reply[2] ?? 0) }
    },
    async fail (subjects, policy) {
      const reply = await commands.gatehouseFail(subjects.length, ...subjects.map(s => keyOf(s.key)),
        policy.levelTtlMs, ...subjects.map(s => s.max))
      return subjects.map((_, i) => reply[i] === 1)
    },
    async release (subjects) {
      await commands.gatehouseRelease(subjects.length, ...subjects.map(s => keyOf(s.key)), ...subjects.map(s => s.clear ? '1' : '0'))
    }
  }
}
