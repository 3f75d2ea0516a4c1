import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { addUser, build, form, PASSWORD } from '../helper.js'
import { eachCounterStore } from './counter-stores.js'

// A wrong-password flood from one IP against logins from another, through the
// routes: the hashing queue is shared round-robin between client IPs
// (request.ip), so the other IP's login waits only for the hash in progress;
// with a reserved slot (HASH_RESERVED_SLOTS, default 1) it does not even wait for that.

const FLOOD_IP = '203.0.113.66'
const USER_IP = '198.51.100.7'
const FLOOD = 30
const PER_IP = 8

async function attempt (app: FastifyInstance, username: string, password: string, remoteAddress: string) {
  return await app.inject({ method: 'POST', url: '/token', remoteAddress, ...form({ username, password }) })
}

/**
 * Replaces the hasher's verify with a slow fake that still queues in the
 * app's own limiter (configured from the environment) under the route's
 * source key: each comparison waits until the test lets it finish.
 */
function slowVerify (t: Test, app: FastifyInstance) {
  const calls: Array<{ source: string, finish: () => void }> = []
  let open = false
  const limiter = app.passwordHasher.limiter
  t.capture(app.passwordHasher, 'verify', async (password: string, passwordHash: string | undefined, source: string) =>
    await limiter.run(source, async () => {
      await new Promise<void>(resolve => {
        calls.push({ source, finish: resolve })
        if (open) resolve()
      })
      return passwordHash !== undefined && password === PASSWORD
    }))
  return {
    calls,
    finishAll: () => { open = true; for (const call of calls) call.finish() }
  }
}

/** Lets the event loop run (timers too: refusals answer on one) until `condition` holds. */
async function until (condition: () => boolean, what: string) {
  for (let turns = 0; turns < 10_000; turns++) {
    if (condition()) return
    await new Promise(resolve => setTimeout(resolve, 1))
  }
  throw new Error(`never happened: ${what}`)
}

eachCounterStore('a wrong-password flood from one IP: another IP\'s login gets the next hashing slot and succeeds', async (t, env) => {
  const app = await build(t, {
    ...env,
    LOGIN_MAX_FAILURES_PER_USER: '1000',
    LOGIN_MAX_FAILURES_PER_IP: '1000',
    HASH_CONCURRENCY: '1',
    HASH_RESERVED_SLOTS: '0', // the round-robin alone (the reserved slot: the next test)
    HASH_QUEUE_MAX: '64',
    HASH_QUEUE_MAX_PER_IP: String(PER_IP),
    HASH_QUEUE_TIMEOUT_MS: '60000'
  })
  await addUser(app, 'alice')
  for (let i = 0; i < 4; i++) await addUser(app, `target${i}`)
  const hashing = slowVerify(t, app)
  const limiter = app.passwordHasher.limiter

  let answered = 0
  const flood = Array.from({ length: FLOOD }, async (_, i) => {
    const res = await attempt(app, `target${i % 4}`, `wrong-${i}`, FLOOD_IP)
    answered++
    return res
  })
  await until(() => limiter.active === 1 && limiter.queued === PER_IP && answered === FLOOD - 1 - PER_IP, 'the flood fills its share of the queue')
  t.equal(hashing.calls.length, 1, 'one flood hash in progress')

  const login = attempt(app, 'alice', PASSWORD, USER_IP)
  await until(() => limiter.queued === PER_IP + 1, 'the login queues behind the flood')
  hashing.calls[0]?.finish()
  await until(() => hashing.calls.length === 2, 'the next hash starts')
  t.equal(hashing.calls[1]?.source, USER_IP, 'the next slot goes to the other IP, ahead of the flood\'s 8 waiters')
  hashing.finishAll()

  t.equal((await login).statusCode, 200, 'the other IP logs in')
  const statuses = (await Promise.all(flood)).map(res => res.statusCode)
  t.equal(statuses.filter(s => s === 401).length, 1 + PER_IP, 'the flood got one hash running and its 8 waiters checked')
  t.equal(statuses.filter(s => s === 503).length, FLOOD - 1 - PER_IP, 'the rest of the flood: 503 at once, the queue was not theirs to fill')
  t.same(hashing.calls.map(call => call.source), [FLOOD_IP, USER_IP, ...Array<string>(PER_IP).fill(FLOOD_IP)], 'every hash, in order')
})

eachCounterStore('a wrong-password flood from one IP: another IP\'s login starts at once in the reserved slot', async (t, env) => {
  const app = await build(t, {
    ...env,
    LOGIN_MAX_FAILURES_PER_USER: '1000',
    LOGIN_MAX_FAILURES_PER_IP: '1000',
    HASH_CONCURRENCY: '1',
    HASH_QUEUE_MAX: '64',
    HASH_QUEUE_MAX_PER_IP: String(PER_IP),
    HASH_QUEUE_TIMEOUT_MS: '60000'
  })
  await addUser(app, 'alice')
  for (let i = 0; i < 4; i++) await addUser(app, `target${i}`)
  const hashing = slowVerify(t, app)
  const limiter = app.passwordHasher.limiter

  let answered = 0
  const flood = Array.from({ length: FLOOD }, async (_, i) => {
    const res = await attempt(app, `target${i % 4}`, `wrong-${i}`, FLOOD_IP)
    answered++
    return res
  })
  await until(() => limiter.active === 1 && limiter.queued === PER_IP && answered === FLOOD - 1 - PER_IP, 'the flood fills its share of the queue; its waiters never take the reserved slot')

  const login = attempt(app, 'alice', PASSWORD, USER_IP)
  await until(() => hashing.calls.length === 2, 'the login\'s hash starts')
  t.equal(hashing.calls[1]?.source, USER_IP, 'the other IP hashes beside the flood\'s hash, which is still in progress')
  t.equal(limiter.active, 2)
  t.equal(limiter.queued, PER_IP, 'the flood\'s waiters still wait')
  hashing.calls[1]?.finish()
  t.equal((await login).statusCode, 200, 'the other IP logs in before the flood\'s hash has finished')
  hashing.finishAll()

  const statuses = (await Promise.all(flood)).map(res => res.statusCode)
  t.equal(statuses.filter(s => s === 401).length, 1 + PER_IP, 'the flood got one hash running and its 8 waiters checked')
  t.same(hashing.calls.map(call => call.source), [FLOOD_IP, USER_IP, ...Array<string>(PER_IP).fill(FLOOD_IP)], 'every hash, in order')
})
