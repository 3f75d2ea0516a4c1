import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { getPriority } from 'node:os'
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2'
import { compare, hash } from '@node-rs/bcrypt'
import { HashingThreads } from '../../../src/passwords/hashing-threads.js'
import { createPasswordHasher } from '../../../src/passwords/password-hasher.js'

const PASSWORD = 'Sturdy-Lamp-Orbit-42'
const ARGON2 = { algorithm: 2 as never, memoryCost: 1024, timeCost: 1, parallelism: 1 }

/** The nice value of each thread of this process (Linux keeps one per thread: /proc/self/task/TID/stat, field 19). */
function threadNiceValues (): number[] {
  const values: number[] = []
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
      values.push(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]))
    } catch {} // the thread ended meanwhile
  }
  return values
}

const countNice = (nice: number): number => threadNiceValues().filter(value => value === nice).length

t.test('bcrypt and argon2 on the threads agree with the libraries on libuv\'s pool', async t => {
  const threads = new HashingThreads(7)
  t.teardown(async () => { await threads.close() })
  const bcryptHash = await threads.run({ op: 'bcrypt-hash', password: PASSWORD, cost: 4 }) as string
  t.match(bcryptHash, /^\$2b\$04\$/)
  t.equal(await compare(PASSWORD, bcryptHash), true, 'a thread\'s hash verifies on libuv')
  t.equal(await threads.run({ op: 'bcrypt-verify', password: PASSWORD, hash: await hash(PASSWORD, 4) }), true, 'a libuv hash verifies on a thread')
  t.equal(await threads.run({ op: 'bcrypt-verify', password: 'wrong-password-42', hash: bcryptHash }), false)
  t.equal(await threads.run({ op: 'bcrypt-verify', password: PASSWORD, hash: 'not-a-hash' }), false)

  const argonHash = await threads.run({ op: 'argon2-hash', password: PASSWORD, options: ARGON2 as never }) as string
  t.match(argonHash, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/)
  t.equal(await argon2Verify(argonHash, PASSWORD), true)
  t.equal(await threads.run({ op: 'argon2-verify', password: PASSWORD, hash: await argon2Hash(PASSWORD, ARGON2) }), true)
  t.equal(await threads.run({ op: 'argon2-verify', password: 'wrong-password-42', hash: argonHash }), false)
})

t.test('each thread runs at the nice value it was given; the rest of the process keeps its own', async t => {
  const before = getPriority()
  const threads = new HashingThreads(9)
  t.teardown(async () => { await threads.close() })
  t.equal(countNice(9), 0)
  // Two at once: two threads.
  const [a, b] = await Promise.all([
    threads.run({ op: 'bcrypt-hash', password: PASSWORD, cost: 6 }),
    threads.run({ op: 'bcrypt-hash', password: PASSWORD, cost: 6 })
  ])
  t.not(a, b)
  t.equal(await threads.niceApplied(), true, 'the operating system took the lower priority')
  t.equal(countNice(9), 2, 'two hashing threads at nice 9')
  t.equal(getPriority(), before, 'the main thread\'s priority is unchanged')
  await threads.run({ op: 'bcrypt-hash', password: PASSWORD, cost: 4 })
  t.equal(countNice(9), 2, 'an idle thread is reused')
  await threads.close()
  t.equal(countNice(9), 0, 'close ends them')
})

t.test('a refused priority is reported once, and the threads still hash at the process\'s own', async t => {
  // os.setPriority refuses 20 (out of range) the way a sandbox refuses any lowering.
  let reports = 0
  const threads = new HashingThreads(20, () => { reports++ })
  t.teardown(async () => { await threads.close() })
  const hashes = await Promise.all([1, 2, 3].map(async () => await threads.run({ op: 'bcrypt-hash', password: PASSWORD, cost: 4 }) as string))
  for (const made of hashes) t.equal(await compare(PASSWORD, made), true)
  t.equal(await threads.niceApplied(), false)
  t.equal(reports, 1, 'three threads, one report')
  t.equal(countNice(20), 0)
})

t.test('a failing job rejects and the thread goes on', async t => {
  const threads = new HashingThreads(5)
  t.teardown(async () => { await threads.close() })
  await t.rejects(threads.run({ op: 'bcrypt-hash', password: PASSWORD, cost: 99 }), Error)
  await t.rejects(threads.run({ op: 'argon2-verify', password: PASSWORD, hash: 'not-an-argon2-hash' }), Error)
  t.equal(await threads.run({ op: 'bcrypt-verify', password: PASSWORD, hash: await hash(PASSWORD, 4) }), true)
})

t.test('the hasher: regular slots hash on the lowered threads, a reserved slot on libuv\'s pool', async t => {
  const hasher = await createPasswordHasher({ cost: 8, concurrency: 1, reservedSlots: 1, queueMax: 16, queueTimeoutMs: 10_000, nice: 11 })
  t.teardown(async () => { await hasher.close() })
  const stored = await hasher.hash(PASSWORD, '10.0.0.1')
  t.equal(countNice(11), 1, 'the regular slot\'s hash ran on a thread at nice 11')
  // One source holds the regular slot; another source's verification takes the reserved one at the same time.
  const flood = hasher.verify('wrong-password-42', stored, '10.0.0.1')
  const other = hasher.verify(PASSWORD, stored, '10.0.0.2')
  t.equal(hasher.limiter.active, 2, 'both slots busy')
  t.same(await Promise.all([flood, other]), [false, true])
  t.equal(countNice(11), 1, 'the reserved slot started no second lowered thread')
  await hasher.close()
  t.equal(countNice(11), 0)
})

t.test('nice 0 (or left out): no threads of its own, everything on libuv\'s pool', async t => {
  const hasher = await createPasswordHasher({ cost: 4, concurrency: 1, queueMax: 16, queueTimeoutMs: 10_000, nice: 0 })
  const threadsBefore = readdirSync('/proc/self/task').length
  const stored = await hasher.hash(PASSWORD, '10.0.0.1')
  t.equal(await hasher.verify(PASSWORD, stored, '10.0.0.1'), true)
  t.ok(readdirSync('/proc/self/task').length <= threadsBefore, 'no thread was started')
  await hasher.close()
})

t.test('an idle hashing thread does not keep the process alive', async t => {
  // Not closed on purpose: were it referenced, this test file would never end and tap would time it out.
  const threads = new HashingThreads(3)
  t.equal(await threads.run({ op: 'bcrypt-verify', password: PASSWORD, hash: await hash(PASSWORD, 4) }), true)
})
