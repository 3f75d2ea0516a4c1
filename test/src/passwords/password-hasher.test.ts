import t from 'tap'
import { createPasswordHasher, hashCost, passwordTooLong } from '../../../src/passwords/password-hasher.js'

const hasherAt = async (cost: number) => await createPasswordHasher({ cost, concurrency: 2, queueMax: 16, queueTimeoutMs: 10_000 })

t.test('hash and verify are asynchronous and use the configured cost', async t => {
  const hasher = await hasherAt(4)
  const pending = hasher.hash('Sturdy-Lamp-Orbit-42')
  t.ok(pending instanceof Promise, 'hash returns a promise')
  const hash = await pending
  t.match(hash, /^\$2b\$04\$/)
  t.equal(hashCost(hash), 4)
  const check = hasher.verify('Sturdy-Lamp-Orbit-42', hash)
  t.ok(check instanceof Promise, 'verify returns a promise')
  t.equal(await check, true)
  t.equal(await hasher.verify('sturdy-lamp-orbit-42', hash), false)
  t.not(await hasher.hash('Sturdy-Lamp-Orbit-42'), hash, 'salted')
})

t.test('NFKC: compatibility and composed/decomposed forms verify', async t => {
  const hasher = await hasherAt(4)
  const ligature = await hasher.hash('\uFB01nance-Orbit-42') // "ﬁ" ligature
  t.equal(await hasher.verify('finance-Orbit-42', ligature), true, '"ﬁ" equals "fi"')
  const composed = await hasher.hash('caf\u00E9-Orbit-42')
  t.equal(await hasher.verify('cafe\u0301-Orbit-42', composed), true, 'é composed equals e + combining accent')
  const decomposed = await hasher.hash('cafe\u0301-Orbit-42')
  t.equal(await hasher.verify('caf\u00E9-Orbit-42', decomposed), true)
})

t.test('passwords over 72 bytes are refused and never match', async t => {
  const hasher = await hasherAt(4)
  const max = 'a1B2c3D4'.repeat(9) // 72 bytes
  t.equal(Buffer.byteLength(max), 72)
  const stored = await hasher.hash(max)
  t.equal(await hasher.verify(max, stored), true)
  t.equal(passwordTooLong(max), false)
  t.equal(passwordTooLong(max + 'x'), true)
  await t.rejects(hasher.hash(max + 'x'), RangeError, 'hashing 73 bytes is refused')
  t.equal(await hasher.verify(max + 'x', stored), false, 'no truncation match at 73 bytes')
  t.equal(await hasher.verify(max + 'xxxxxxxx', stored), false, 'no truncation match for longer ones')
  // 70 ASCII bytes + "é" (2 bytes) = 72; one more multi-byte char pushes it over.
  t.equal(passwordTooLong('a'.repeat(70) + '\u00E9'), false)
  t.equal(passwordTooLong('a'.repeat(71) + '\u00E9'), true, 'the limit is in bytes, not characters')
})

t.test('unknown users are checked against a dummy hash and refused', async t => {
  const hasher = await hasherAt(4)
  t.equal(await hasher.verify('Sturdy-Lamp-Orbit-42', undefined), false)
  t.equal(await hasher.verify('gatehouse-dummy-password-for-unknown-users', undefined), false, 'even the dummy password')
  t.equal(await hasher.verify('Sturdy-Lamp-Orbit-42', 'not-a-bcrypt-hash'), false, 'an unusable stored hash never matches')
})

t.test('needsRehash when the cost or scheme differs', async t => {
  const cost4 = await hasherAt(4)
  const cost5 = await hasherAt(5)
  const hash4 = await cost4.hash('Sturdy-Lamp-Orbit-42')
  t.equal(cost4.needsRehash(hash4), false)
  t.equal(cost5.needsRehash(hash4), true)
  t.equal(cost5.needsRehash(await cost5.hash('Sturdy-Lamp-Orbit-42')), false)
  t.equal(cost4.needsRehash(hash4.replace(/^\$2b\$/, '$2a$')), true, '$2a$ is upgraded to $2b$')
  t.equal(await cost5.verify('Sturdy-Lamp-Orbit-42', hash4), true, 'an older-cost hash still verifies')
})

t.test('hashCost', async t => {
  t.equal(hashCost('$2b$12$' + 'a'.repeat(53)), 12)
  t.equal(hashCost('$argon2id$v=19$m=65536,t=3,p=4$abc'), undefined)
  t.equal(hashCost(''), undefined)
})
