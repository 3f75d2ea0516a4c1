import t from 'tap'
import { retryAtStart, StartupError } from '../../../src/startup/retry-at-start.js'

const dependency = { variable: 'REDIS_URL', name: 'Redis', url: 'redis://cache:6379', defaultPort: 6379 }
const refused = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })

/** A fake clock: sleeping moves it forward, so the test takes no time. */
function clock () {
  let at = 0
  const slept: number[] = []
  return { slept, now: () => at, sleep: async (ms: number) => { slept.push(ms); at += ms } }
}

t.test('retries with doubling delays capped at the maximum, and returns once the attempt succeeds', async t => {
  const c = clock()
  const retries: string[] = []
  let calls = 0
  const result = await retryAtStart(async () => { if (++calls < 7) throw refused(); return 'up' }, {
    dependency, timeoutMs: 60_000, now: c.now, sleep: c.sleep, onRetry: ({ message }) => { retries.push(message) }
  })
  t.equal(result, 'up')
  t.same(c.slept, [250, 500, 1000, 2000, 4000, 5000])
  t.equal(retries.length, 6)
  t.match(retries[0], /^REDIS_URL: Redis at cache:6379 refused the connection/)
})

t.test('gives up after the timeout with the named message', async t => {
  const c = clock()
  let calls = 0
  await t.rejects(retryAtStart(async () => { calls++; throw refused() }, {
    dependency, timeoutMs: 2000, now: c.now, sleep: c.sleep, onRetry: () => {}
  }), { name: 'StartupError', message: /^REDIS_URL: Redis at cache:6379 refused the connection.*gave up after 5 attempts in 2 s \(STARTUP_TIMEOUT_SECONDS\)$/ })
  t.equal(calls, 5)
  t.equal(c.slept.reduce((a, b) => a + b, 0), 2000, 'never waits past the deadline')
})

t.test('an error that is not about reaching the dependency fails at once', async t => {
  const c = clock()
  const err = await retryAtStart(async () => { throw new Error('relation "users" already exists') }, {
    dependency, timeoutMs: 60_000, now: c.now, sleep: c.sleep, onRetry: () => { t.fail('not retried') }
  }).catch((e: unknown) => e)
  t.ok(err instanceof StartupError)
  t.match((err as Error).message, /failed: relation "users" already exists/)
})

t.test('a timeout of 0 makes one attempt', async t => {
  let calls = 0
  await t.rejects(retryAtStart(async () => { calls++; throw refused() }, { dependency, timeoutMs: 0, onRetry: () => {} }), StartupError)
  t.equal(calls, 1)
})
