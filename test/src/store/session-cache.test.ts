import t from 'tap'
import { createSessionCache } from '../../../src/store/session-cache.js'

// The session cache on its own: per-entry forgetting, the user index, and
// loads that overlap a forget (asynchronous on PostgreSQL).

interface Found { session: string, user: number, n: number }

function counted (users: Record<string, number>) {
  let loads = 0
  const load = (session: string): Found | undefined => {
    loads++
    const user = users[session]
    return user === undefined ? undefined : { session, user, n: loads }
  }
  return { load, loads: () => loads }
}

const newCache = (size = 100) => createSessionCache<Found>({ size, userIdOf: found => found.user })

t.test('a cached session is served without a load; nothing found is never cached', async t => {
  const cache = newCache()
  const { load, loads } = counted({ s1: 1 })
  const first = cache.get('s1', load)
  t.equal(cache.get('s1', load), first)
  t.equal(loads(), 1)
  t.equal(cache.get('nope', load), undefined)
  t.equal(cache.get('nope', load), undefined)
  t.equal(loads(), 3)
})

t.test('forgetSession drops that session only', async t => {
  const cache = newCache()
  const { load, loads } = counted({ s1: 1, s2: 1, s3: 2 })
  for (const s of ['s1', 's2', 's3']) cache.get(s, load)
  cache.forgetSession('s1')
  cache.get('s1', load)
  t.equal(loads(), 4, 's1 loaded again')
  cache.get('s2', load)
  cache.get('s3', load)
  t.equal(loads(), 4, 's2 (same user) and s3 stayed')
})

t.test('forgetUser drops every cached session of that user, and only theirs', async t => {
  const cache = newCache()
  const { load, loads } = counted({ a1: 1, a2: 1, b1: 2 })
  for (const s of ['a1', 'a2', 'b1']) cache.get(s, load)
  cache.forgetUser(1)
  t.equal(cache.size, 1)
  cache.get('b1', load)
  t.equal(loads(), 3, "the other user's session stayed")
  cache.get('a1', load)
  cache.get('a2', load)
  t.equal(loads(), 5)
  cache.forgetUser(1)
  t.equal(cache.size, 1, 'the index followed the reloads')
  cache.forgetUser(99)
  t.equal(cache.size, 1, 'a user with nothing cached')
})

t.test('the index follows LRU evictions: a user forgotten after an eviction is still fully forgotten', async t => {
  const cache = newCache(2)
  const { load, loads } = counted({ a1: 1, a2: 1, b1: 2 })
  cache.get('a1', load)
  cache.get('a2', load)
  cache.get('b1', load) // the cache is full: b1 is not admitted on its first load…
  cache.get('b1', load) // …but on its second, and evicts a1
  t.equal(cache.size, 2)
  cache.forgetUser(1)
  t.equal(cache.size, 1)
  cache.get('b1', load)
  t.equal(loads(), 4)
})

t.test('clear drops everything', async t => {
  const cache = newCache()
  const { load, loads } = counted({ a1: 1, b1: 2 })
  cache.get('a1', load)
  cache.get('b1', load)
  cache.clear()
  t.equal(cache.size, 0)
  cache.get('a1', load)
  t.equal(loads(), 3)
})

function deferred () {
  let resolve!: (value: Found | undefined) => void
  const promise = new Promise<Found | undefined>(_resolve => { resolve = _resolve })
  return { promise, resolve }
}

t.test('an asynchronous load that overlapped a forget of its session, its user or everything is returned but not stored', async t => {
  for (const forget of ['session', 'user', 'all'] as const) {
    const cache = newCache()
    const pending = deferred()
    const read = cache.get('s1', () => pending.promise)
    if (forget === 'session') cache.forgetSession('s1')
    else if (forget === 'user') cache.forgetUser(1)
    else cache.clear()
    const stale = { session: 's1', user: 1, n: 0 }
    pending.resolve(stale)
    t.equal(await read, stale, `${forget}: the caller gets what was read`)
    t.equal(cache.size, 0, `${forget}: the row read before the forget is not cached after it`)
  }
})

t.test('an asynchronous load that overlapped only unrelated forgets is stored', async t => {
  const cache = newCache()
  const pending = deferred()
  const read = cache.get('s1', () => pending.promise)
  cache.forgetSession('other')
  cache.forgetUser(2)
  const found = { session: 's1', user: 1, n: 0 }
  pending.resolve(found)
  await read
  t.equal(cache.get('s1', () => { throw new Error('must not load') }), found)
})

t.test('a load that overlapped more forgets than are remembered is not stored', async t => {
  const cache = newCache()
  const pending = deferred()
  const read = cache.get('s1', () => pending.promise)
  for (let i = 0; i < 200; i++) cache.forgetSession(`other${i}`)
  pending.resolve({ session: 's1', user: 1, n: 0 })
  await read
  t.equal(cache.size, 0)
})

t.test('suspended: nothing is stored, every lookup loads; resume starts empty', async t => {
  const cache = newCache()
  const { load, loads } = counted({ s1: 1 })
  cache.get('s1', load)
  cache.suspend()
  t.equal(cache.suspended, true)
  t.equal(cache.size, 0, 'dropped wholesale')
  cache.get('s1', load)
  cache.get('s1', load)
  t.equal(loads(), 3, 'strict reads')

  const pending = deferred()
  const read = cache.get('s1', () => pending.promise)
  cache.resume()
  pending.resolve({ session: 's1', user: 1, n: 0 })
  await read
  t.equal(cache.size, 0, 'a load begun while suspended is not stored after the resume')

  cache.get('s1', load)
  cache.get('s1', load)
  t.equal(loads(), 4, 'cached again')
})

t.test('once full: a scan of sessions loaded once does not evict the sessions in use; a second load admits', async t => {
  const users: Record<string, number> = {}
  for (let i = 0; i < 10; i++) users[`hot-${i}`] = i
  for (let i = 0; i < 200; i++) users[`scan-${i}`] = 100 + i
  const cache = newCache(10)
  const { load, loads } = counted(users)
  for (let i = 0; i < 10; i++) cache.get(`hot-${i}`, load)
  for (let i = 0; i < 200; i++) cache.get(`scan-${i}`, load)
  const before = loads()
  for (let i = 0; i < 10; i++) cache.get(`hot-${i}`, load)
  t.ok(loads() - before <= 1, `${loads() - before} hot sessions had to be loaded again`)
  t.equal(cache.size, 10)

  const admittedBefore = loads()
  cache.get('scan-199', load)
  t.equal(loads(), admittedBefore + 1, 'seen twice: loaded, now admitted')
  cache.get('scan-199', load)
  t.equal(loads(), admittedBefore + 1, 'served from the cache')
})
