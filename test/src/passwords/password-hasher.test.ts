import t from 'tap'
import { compare, hash } from '@node-rs/bcrypt'
import { createPasswordHasher, hashCost, passwordTooLong, type CompareFunction } from '../../../src/passwords/password-hasher.js'

/** The client IP the work is queued for (the limiter's fairness key). */
const CLIENT = '10.0.0.1'
const hasherAt = async (cost: number) => await createPasswordHasher({ cost, concurrency: 2, queueMax: 16, queueTimeoutMs: 10_000 })

t.test('hash and verify are asynchronous and use the configured cost', async t => {
  const hasher = await hasherAt(4)
  const pending = hasher.hash('Sturdy-Lamp-Orbit-42', CLIENT)
  t.ok(pending instanceof Promise, 'hash returns a promise')
  const hash = await pending
  t.match(hash, /^\$2b\$04\$/)
  t.equal(hashCost(hash), 4)
  const check = hasher.verify('Sturdy-Lamp-Orbit-42', hash, CLIENT)
  t.ok(check instanceof Promise, 'verify returns a promise')
  t.equal(await check, true)
  t.equal(await hasher.verify('sturdy-lamp-orbit-42', hash, CLIENT), false)
  t.not(await hasher.hash('Sturdy-Lamp-Orbit-42', CLIENT), hash, 'salted')
})

t.test('NFKC: compatibility and composed/decomposed forms verify', async t => {
  const hasher = await hasherAt(4)
  const ligature = await hasher.hash('\uFB01nance-Orbit-42', CLIENT) // "ﬁ" ligature
  t.equal(await hasher.verify('finance-Orbit-42', ligature, CLIENT), true, '"ﬁ" equals "fi"')
  const composed = await hasher.hash('caf\u00E9-Orbit-42', CLIENT)
  t.equal(await hasher.verify('cafe\u0301-Orbit-42', composed, CLIENT), true, 'é composed equals e + combining accent')
  const decomposed = await hasher.hash('cafe\u0301-Orbit-42', CLIENT)
  t.equal(await hasher.verify('caf\u00E9-Orbit-42', decomposed, CLIENT), true)
})

t.test('passwords over 72 bytes are refused and never match', async t => {
  const hasher = await hasherAt(4)
  const max = 'a1B2c3D4'.repeat(9) // 72 bytes
  t.equal(Buffer.byteLength(max), 72)
  const stored = await hasher.hash(max, CLIENT)
  t.equal(await hasher.verify(max, stored, CLIENT), true)
  t.equal(passwordTooLong(max), false)
  t.equal(passwordTooLong(max + 'x'), true)
  await t.rejects(hasher.hash(max + 'x', CLIENT), RangeError, 'hashing 73 bytes is refused')
  t.equal(await hasher.verify(max + 'x', stored, CLIENT), false, 'no truncation match at 73 bytes')
  t.equal(await hasher.verify(max + 'xxxxxxxx', stored, CLIENT), false, 'no truncation match for longer ones')
  // 70 ASCII bytes + "é" (2 bytes) = 72; one more multi-byte char pushes it over.
  t.equal(passwordTooLong('a'.repeat(70) + '\u00E9'), false)
  t.equal(passwordTooLong('a'.repeat(71) + '\u00E9'), true, 'the limit is in bytes, not characters')
})

t.test('unknown users are checked against a dummy hash and refused', async t => {
  const hasher = await hasherAt(4)
  t.equal(await hasher.verify('Sturdy-Lamp-Orbit-42', undefined, CLIENT), false)
  t.equal(await hasher.verify('gatehouse-dummy-password-for-unknown-users', undefined, CLIENT), false, 'even the dummy password')
  t.equal(await hasher.verify('Sturdy-Lamp-Orbit-42', 'not-a-bcrypt-hash', CLIENT), false, 'an unusable stored hash never matches')
})

t.test('needsRehash when the cost or scheme differs', async t => {
  const cost4 = await hasherAt(4)
  const cost5 = await hasherAt(5)
  const hash4 = await cost4.hash('Sturdy-Lamp-Orbit-42', CLIENT)
  t.equal(cost4.needsRehash(hash4), false)
  t.equal(cost5.needsRehash(hash4), true)
  t.equal(cost5.needsRehash(await cost5.hash('Sturdy-Lamp-Orbit-42', CLIENT)), false)
  t.equal(cost4.needsRehash(hash4.replace(/^\$2b\$/, '$2a$')), true, '$2a$ is upgraded to $2b$')
  t.equal(await cost5.verify('Sturdy-Lamp-Orbit-42', hash4, CLIENT), true, 'an older-cost hash still verifies')
})

t.test('hashCost', async t => {
  const saltAndDigest = 'a'.repeat(21) + 'e' + 'a'.repeat(30) + 'e'
  t.equal(hashCost('$2b$12$' + saltAndDigest), 12)
  t.equal(hashCost('$2b$04$' + saltAndDigest), 4)
  t.equal(hashCost('$2b$03$' + saltAndDigest), undefined, 'below bcrypt\'s minimum cost')
  t.equal(hashCost('$2b$32$' + saltAndDigest), undefined, 'above its maximum')
  t.equal(hashCost('$2b$12$' + 'a'.repeat(53)), undefined, 'a salt whose last character has bits bcrypt refuses')
  t.equal(hashCost('$2b$12$' + 'a'.repeat(21) + 'e' + 'a'.repeat(30) + 'b'), undefined, 'likewise the digest')
  t.equal(hashCost('$argon2id$v=19$m=65536,t=3,p=4$abc'), undefined)
  t.equal(hashCost(''), undefined)
})

/** The real bcrypt compare, recording the cost of every call: bcrypt's work is 2^cost. */
function countingCompare () {
  const calls: Array<{ password: string, cost: number | undefined }> = []
  const counted: CompareFunction = async (password, passwordHash) => {
    calls.push({ password, cost: hashCost(passwordHash) })
    return await compare(password, passwordHash)
  }
  const work = () => calls.reduce((sum, call) => sum + 2 ** (call.cost ?? 0), 0)
  return { calls, counted, work, reset: () => { calls.length = 0 } }
}

t.test('every refusal does the work of one comparison at the configured cost, whatever the stored hash', async t => {
  const counter = countingCompare()
  const hasher = await createPasswordHasher({ cost: 6, concurrency: 2, queueMax: 16, queueTimeoutMs: 10_000, compare: counter.counted })
  const stored = async (cost: number) => await hash('Sturdy-Lamp-Orbit-42', cost)
  const refusals: Array<[string, string | undefined, string?]> = [
    ['unknown user', undefined],
    ['wrong password, cost 6 (the configured one)', await stored(6)],
    ['wrong password, cost 5', await stored(5)],
    ['wrong password, cost 4', await stored(4)],
    ['wrong password, cost 4, $2a$', (await stored(4)).replace(/^\$2b\$/, '$2a$')],
    ['wrong password, cost 4, $2y$', (await stored(4)).replace(/^\$2b\$/, '$2y$')],
    ['another scheme', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA'],
    ['cost 03 (bcrypt refuses it at once)', (await stored(4)).replace(/^\$2b\$04\$/, '$2b$03$')],
    ['a salt bcrypt refuses at once', (await stored(4)).replace(/^(.{28})./, '$1P')],
    ['right password over 72 bytes', await stored(4), 'a'.repeat(80)]
  ]
  for (const [name, passwordHash, password] of refusals) {
    counter.reset()
    t.equal(await hasher.verify(password ?? 'wrong-password-42', passwordHash, CLIENT), false, `${name}: refused`)
    t.equal(counter.work(), 2 ** 6, `${name}: work 2^6`)
    t.ok(counter.calls.every(call => call.cost !== undefined && call.cost >= 4 && call.cost <= 6), `${name}: every comparison is real bcrypt work`)
  }

  counter.reset()
  t.equal(await hasher.verify('wrong-password-42', await stored(4), CLIENT), false)
  t.same(counter.calls.map(call => call.cost), [4, 4, 5], 'cost 4 is padded with 4 and 5: 16 + 16 + 32 = 64')

  counter.reset()
  t.equal(await hasher.verify('Sturdy-Lamp-Orbit-42', await stored(4), CLIENT), true, 'the right password still verifies')
  t.same(counter.calls.map(call => call.cost), [4], 'a success is not padded')

  counter.reset()
  t.equal(await hasher.verify('wrong-password-42', await stored(7), CLIENT), false)
  t.same(counter.calls.map(call => call.cost), [7], 'a higher cost cannot be padded down: one comparison at 7')
})

t.test('the padding holds the one limiter slot of the verification', async t => {
  const counter = countingCompare()
  const hasher = await createPasswordHasher({ cost: 6, concurrency: 1, queueMax: 16, queueTimeoutMs: 10_000, compare: counter.counted })
  const stored = await hash('Sturdy-Lamp-Orbit-42', 4)
  const results = await Promise.all([
    hasher.verify('first-wrong-password', stored, CLIENT),
    hasher.verify('second-wrong-password', stored, CLIENT)
  ])
  t.same(results, [false, false])
  t.same(counter.calls.map(call => `${call.password} ${call.cost}`), [
    'first-wrong-password 4', 'first-wrong-password 4', 'first-wrong-password 5',
    'second-wrong-password 4', 'second-wrong-password 4', 'second-wrong-password 5'
  ], 'the second verification waits for the whole first one, padding included')
})
