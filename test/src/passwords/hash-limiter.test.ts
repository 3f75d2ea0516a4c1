import t from 'tap'
import { HashLimiter, HashQueueFullError } from '../../../src/passwords/hash-limiter.js'

function gate (): { promise: Promise<void>, open: () => void } {
  let open = () => {}
  const promise = new Promise<void>(resolve => { open = resolve })
  return { promise, open }
}

t.test('runs up to the concurrency, queues the rest in order, refuses beyond the queue', async t => {
  const limiter = new HashLimiter(1, 1, 60_000)
  const first = gate()
  const order: string[] = []
  const a = limiter.run(async () => { await first.promise; order.push('a') })
  const b = limiter.run(async () => { order.push('b') })
  t.equal(limiter.active, 1)
  t.equal(limiter.queued, 1)
  await t.rejects(limiter.run(async () => 'c'), HashQueueFullError, 'the queue is full')
  first.open()
  await Promise.all([a, b])
  t.same(order, ['a', 'b'])
  t.equal(limiter.active, 0)
  t.equal(limiter.queued, 0)
  t.equal(await limiter.run(async () => 42), 42, 'returns the task result')
})

t.test('a failing task releases its slot', async t => {
  const limiter = new HashLimiter(1, 0, 60_000)
  await t.rejects(limiter.run(async () => { throw new Error('boom') }), /boom/)
  t.equal(limiter.active, 0)
  t.equal(await limiter.run(async () => 'ok'), 'ok')
})

t.test('work that cannot start in time is refused and leaves the queue', async t => {
  const limiter = new HashLimiter(1, 4, 5)
  const first = gate()
  const running = limiter.run(async () => { await first.promise })
  await t.rejects(limiter.run(async () => 'late'), HashQueueFullError)
  t.equal(limiter.queued, 0, 'the timed-out waiter was removed')
  first.open()
  await running
  t.equal(limiter.active, 0)
})
