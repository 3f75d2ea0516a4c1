import t from 'tap'
import { HashLimiter, HashQueueFullError, type HashLimiterOptions } from '../../../src/passwords/hash-limiter.js'

function gate (): { promise: Promise<void>, open: () => void } {
  let open = () => {}
  const promise = new Promise<void>(resolve => { open = resolve })
  return { promise, open }
}

const limiterWith = (options: Partial<HashLimiterOptions> = {}) =>
  new HashLimiter({ concurrency: 1, maxQueue: 64, maxQueuePerSource: 8, queueTimeoutMs: 60_000, ...options })

/**
 * One slot, held by a task of `holder` until `release()`; `queue(source, name)`
 * adds a fake task that records its name when it starts; `started` lists them
 * in the order the limiter ran them.
 */
function heldLimiter (options: Partial<HashLimiterOptions> = {}, holder = 'flood') {
  const limiter = limiterWith(options)
  const hold = gate()
  const started: string[] = []
  const running = limiter.run(holder, async () => { await hold.promise })
  const queued: Array<Promise<unknown>> = [running]
  const queue = (source: string, name: string) => {
    const task = limiter.run(source, async () => { started.push(name) })
    queued.push(task)
    return task
  }
  const release = async () => { hold.open(); await Promise.allSettled(queued) }
  return { limiter, started, queue, release }
}

t.test('runs up to the concurrency, queues the rest in order, refuses beyond the queue', async t => {
  const limiter = limiterWith({ maxQueue: 1 })
  const first = gate()
  const order: string[] = []
  const a = limiter.run('10.0.0.1', async () => { await first.promise; order.push('a') })
  const b = limiter.run('10.0.0.1', async () => { order.push('b') })
  t.equal(limiter.active, 1)
  t.equal(limiter.queued, 1)
  await t.rejects(limiter.run('10.0.0.2', async () => 'c'), HashQueueFullError, 'the queue is full, for every source')
  first.open()
  await Promise.all([a, b])
  t.same(order, ['a', 'b'])
  t.equal(limiter.active, 0)
  t.equal(limiter.queued, 0)
  t.equal(await limiter.run('10.0.0.1', async () => 42), 42, 'returns the task result')
})

t.test('a failing task releases its slot', async t => {
  const limiter = limiterWith({ maxQueue: 0 })
  await t.rejects(limiter.run('10.0.0.1', async () => { throw new Error('boom') }), /boom/)
  t.equal(limiter.active, 0)
  t.equal(await limiter.run('10.0.0.1', async () => 'ok'), 'ok')
})

t.test('round-robin between sources: one task per source per round, the source already served last', async t => {
  const { started, queue, release } = heldLimiter()
  for (const name of ['flood-1', 'flood-2', 'flood-3']) void queue('flood', name)
  for (const name of ['b-1', 'b-2']) void queue('10.0.0.2', name)
  void queue('10.0.0.3', 'c-1')
  await release()
  t.same(started, ['b-1', 'c-1', 'flood-1', 'b-2', 'flood-2', 'flood-3'],
    'the flood holds the slot in this round, so b and c go first; then one each per round')
})

t.test('a waiter of another source is served before the flood\'s later waiters', async t => {
  const { limiter, started, queue, release } = heldLimiter()
  for (let i = 1; i <= 8; i++) void queue('flood', `flood-${i}`)
  void queue('10.0.0.7', 'user')
  t.equal(limiter.queued, 9)
  await release()
  t.same(started, ['user', ...Array.from({ length: 8 }, (_, i) => `flood-${i + 1}`)],
    'it waits only for the hash in progress, however many the flood keeps queued')
})

t.test('a source just served does not jump ahead by queueing again', async t => {
  const limiter = limiterWith()
  const hold = gate()
  const holdB = gate()
  const started: string[] = []
  const held = limiter.run('a', async () => { await hold.promise })
  const b1 = limiter.run('b', async () => { started.push('b-1'); await holdB.promise })
  const a1 = limiter.run('a', async () => { started.push('a-1') })
  const a2 = limiter.run('a', async () => { started.push('a-2') })
  hold.open()
  while (!started.includes('b-1')) await new Promise(resolve => setImmediate(resolve))
  // b is served in this round and queues again at once, while a-1 and a-2 still wait.
  const b2 = limiter.run('b', async () => { started.push('b-2') })
  holdB.open()
  await Promise.all([held, b1, a1, a2, b2])
  t.same(started, ['b-1', 'a-1', 'b-2', 'a-2'], 'b\'s next task waits for the next round: after a-1, before a-2')
})

t.test('per-source cap: one source cannot fill the queue; others still get in', async t => {
  const { limiter, started, queue, release } = heldLimiter({ maxQueue: 10, maxQueuePerSource: 2 })
  void queue('flood', 'flood-1')
  void queue('flood', 'flood-2')
  await t.rejects(queue('flood', 'flood-3'), HashQueueFullError, 'the third waiter of one source is refused at once')
  t.equal(limiter.queued, 2)
  void queue('10.0.0.7', 'user')
  t.equal(limiter.queued, 3, 'another source is queued')
  await release()
  t.same(started, ['user', 'flood-1', 'flood-2'])
  await queue('flood', 'flood-4')
  t.same(started.at(-1), 'flood-4', 'the cap counts waiters: once they ran, the source may queue again')
})

t.test('the global cap bounds all sources together', async t => {
  const { limiter, started, queue, release } = heldLimiter({ maxQueue: 3, maxQueuePerSource: 2 })
  void queue('a', 'a-1')
  void queue('a', 'a-2')
  void queue('b', 'b-1')
  await t.rejects(queue('c', 'c-1'), HashQueueFullError, 'a fourth waiter, of a new source, is refused')
  t.equal(limiter.queued, 3)
  await release()
  t.same(started, ['a-1', 'b-1', 'a-2'])
})

t.test('each waiter has its own timeout and leaves the queue when it runs out', async t => {
  const { limiter, started, queue, release } = heldLimiter({ queueTimeoutMs: 20 })
  await t.rejects(queue('flood', 'late'), HashQueueFullError, 'the slot is never given back in time')
  t.equal(limiter.queued, 0, 'the timed-out waiter was removed')
  const fresh = queue('10.0.0.7', 'fresh')
  await release() // at once, well within the new waiter's own 20 ms
  await fresh
  t.same(started, ['fresh'], 'a later waiter is timed from its own arrival and runs; the timed-out one never does')
  t.equal(limiter.active, 0)
})

t.test('a source whose waiters timed out starts again in the current round', async t => {
  const limiter = limiterWith({ queueTimeoutMs: 20 })
  const hold = gate()
  const started: string[] = []
  const held = limiter.run('a', async () => { await hold.promise })
  await t.rejects(limiter.run('b', async () => { started.push('b-lost') }), HashQueueFullError)
  const a1 = limiter.run('a', async () => { started.push('a-1') })
  const b1 = limiter.run('b', async () => { started.push('b-1') })
  hold.open()
  await Promise.all([held, a1, b1])
  t.same(started, ['b-1', 'a-1'], 'b, never served, goes before a, which holds the slot in this round')
})

t.test('a reserved slot: another source starts at once while a flood holds the regular slot', async t => {
  const { limiter, started, queue, release } = heldLimiter({ reservedSlots: 1 })
  for (let i = 1; i <= 4; i++) void queue('flood', `flood-${i}`)
  t.equal(limiter.active, 1, 'the flood\'s own waiters may not take the reserved slot')
  t.equal(limiter.queued, 4)
  await queue('10.0.0.7', 'user')
  t.same(started, ['user'], 'ran to its end while the flood\'s hash was still in progress')
  t.equal(limiter.active, 1, 'and gave the reserved slot back')
  t.equal(limiter.queued, 4, 'the flood\'s waiters still wait for the regular slot')
  await release()
  t.same(started, ['user', 'flood-1', 'flood-2', 'flood-3', 'flood-4'])
})

t.test('a freed reserved slot goes to the first waiter whose source has nothing running', async t => {
  const limiter = limiterWith({ reservedSlots: 1 })
  const hold = gate()
  const holdB = gate()
  const started: string[] = []
  const held = limiter.run('flood', async () => { await hold.promise })
  const b1 = limiter.run('b', async () => { started.push('b-1'); await holdB.promise })
  t.equal(limiter.active, 2, 'b took the reserved slot')
  const tasks = [
    limiter.run('flood', async () => { started.push('flood-1') }),
    limiter.run('b', async () => { started.push('b-2') }),
    limiter.run('c', async () => { started.push('c-1') })
  ]
  t.equal(limiter.queued, 3, 'b has a hash running: its second waits; c waits for a free slot')
  holdB.open()
  await b1
  while (started.length < 3) await new Promise(resolve => setImmediate(resolve))
  t.same(started, ['b-1', 'c-1', 'b-2'], 'the reserved slot passed over the flood\'s waiter: to c (not yet served in this round), then b; the flood still holds the regular slot')
  t.equal(limiter.queued, 1)
  hold.open()
  await Promise.all([held, ...tasks])
  t.same(started, ['b-1', 'c-1', 'b-2', 'flood-1'])
  t.equal(limiter.active, 0)
})

t.test('without reserved slots a newcomer waits for the hash in progress', async t => {
  const { started, queue, release } = heldLimiter({ reservedSlots: 0 })
  void queue('10.0.0.7', 'user')
  await new Promise(resolve => setImmediate(resolve))
  t.same(started, [], 'still waiting')
  await release()
  t.same(started, ['user'])
})
