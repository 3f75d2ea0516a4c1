import t from 'tap'
import { compare, hash as bcryptHash } from '@node-rs/bcrypt'
import { hash as argon2Hash } from '@node-rs/argon2'
import { createPasswordHasher, type HasherOptions } from '../../../src/passwords/password-hasher.js'

const CLIENT = '10.0.0.1'
const PASSWORD = 'Sturdy-Lamp-Orbit-42'
const SMALL = { memoryKib: 1024, iterations: 1, parallelism: 1 }

function countingCompare () {
  let calls = 0
  return {
    counted: async (password: string, passwordHash: string) => { calls++; return await compare(password, passwordHash) },
    take: () => { const n = calls; calls = 0; return n }
  }
}
const hasherWith = async (options: Partial<HasherOptions>) =>
  await createPasswordHasher({ cost: 4, argon2: SMALL, concurrency: 2, queueMax: 16, queueTimeoutMs: 10_000, ...options })

t.test('PASSWORD_HASH=argon2id hashes new passwords with argon2id and still verifies bcrypt', async t => {
  const hasher = await hasherWith({ scheme: 'argon2id' })
  t.equal(hasher.scheme, 'argon2id')
  const stored = await hasher.hash(PASSWORD, CLIENT)
  t.match(stored, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/)
  t.equal(await hasher.verify(PASSWORD, stored, CLIENT), true)
  t.equal(await hasher.verify('wrong-password-42', stored, CLIENT), false)
  t.equal(hasher.needsRehash(stored), false)

  const bcrypt = await bcryptHash(PASSWORD, 4)
  t.equal(await hasher.verify(PASSWORD, bcrypt, CLIENT), true, 'a bcrypt hash verifies')
  t.equal(await hasher.verify('wrong-password-42', bcrypt, CLIENT), false)
  t.equal(hasher.needsRehash(bcrypt), true, 'a bcrypt hash is re-hashed')
  t.equal(hasher.needsRehash(await argon2Hash(PASSWORD, { memoryCost: 2048, timeCost: 1, parallelism: 1 })), true, 'other argon2 parameters are re-hashed')
})

t.test('PASSWORD_HASH=bcrypt verifies argon2 hashes and re-hashes them', async t => {
  const hasher = await hasherWith({ scheme: 'bcrypt' })
  const argon2id = await argon2Hash(PASSWORD, { memoryCost: 1024, timeCost: 1, parallelism: 1 })
  t.equal(await hasher.verify(PASSWORD, argon2id, CLIENT), true)
  t.equal(await hasher.verify('wrong-password-42', argon2id, CLIENT), false)
  t.equal(hasher.needsRehash(argon2id), true)
  t.match(await hasher.hash(PASSWORD, CLIENT), /^\$2b\$04\$/)
})

t.test('a password bcrypt cannot hash keeps its argon2 hash instead of failing the login', async t => {
  const hasher = await hasherWith({ scheme: 'bcrypt' })
  const long = 'Sturdy-Lamp-Orbit-'.repeat(5)
  const argon2id = await argon2Hash(long, { memoryCost: 1024, timeCost: 1, parallelism: 1 })
  t.equal(await hasher.verify(long, argon2id, CLIENT), true, 'argon2 has no 72-byte limit')
  t.equal(hasher.needsRehash(argon2id, long), false, 'not re-hashed: bcrypt would refuse it')
  t.equal(hasher.needsRehash(argon2id, PASSWORD), true)
  await t.rejects(hasher.hash(long, CLIENT), RangeError)
})

t.test('refusals do the work of each scheme the process has met, whatever the stored hash', async t => {
  const counter = countingCompare()
  const hasher = await hasherWith({ scheme: 'argon2id', compare: counter.counted })
  const argon2id = await hasher.hash(PASSWORD, CLIENT)
  t.equal(await hasher.verify('wrong-password-42', undefined, CLIENT), false)
  t.equal(counter.take(), 0, 'argon2 only: an unknown user does no bcrypt work')
  t.equal(await hasher.verify('wrong-password-42', argon2id, CLIENT), false)
  t.equal(counter.take(), 0, 'argon2 only: a wrong password does no bcrypt work')

  const bcrypt = await bcryptHash(PASSWORD, 4)
  const refusals: Array<[string, string | undefined]> = [
    ['bcrypt hash, wrong password', bcrypt],
    ['unknown user', undefined],
    ['argon2id hash, wrong password', argon2id],
    ['malformed argon2 hash', argon2id.replace('m=1024', 'm=3')],
    ['malformed bcrypt hash', bcrypt.slice(0, -1) + '!']
  ]
  for (const [name, stored] of refusals) {
    t.equal(await hasher.verify('wrong-password-42', stored, CLIENT), false, `${name}: refused`)
    t.equal(counter.take(), 1, `${name}: one bcrypt comparison once a bcrypt hash was met`)
  }
  t.equal(await hasher.verify(PASSWORD, bcrypt, CLIENT), true)
  t.equal(counter.take(), 1, 'a success stops at the real verification')
})

t.test('noteStoredHash (an import) turns the other scheme on before any login meets it', async t => {
  const counter = countingCompare()
  const hasher = await hasherWith({ scheme: 'argon2id', compare: counter.counted })
  hasher.noteStoredHash('$2b$04$malformed')
  await hasher.verify('wrong-password-42', undefined, CLIENT)
  t.equal(counter.take(), 0, 'a malformed hash does not count')
  hasher.noteStoredHash(await bcryptHash(PASSWORD, 4))
  await hasher.verify('wrong-password-42', undefined, CLIENT)
  t.equal(counter.take(), 1)
})

t.test('bcrypt configured: malformed argon2 hashes are refused after the bcrypt dummy work', async t => {
  const counter = countingCompare()
  const hasher = await hasherWith({ scheme: 'bcrypt', compare: counter.counted })
  const argon2id = await argon2Hash(PASSWORD, { memoryCost: 1024, timeCost: 1, parallelism: 1 })
  t.equal(await hasher.verify(PASSWORD, argon2id.replace(/\$[^$]+$/, '$'), CLIENT), false)
  t.equal(counter.take(), 1)
  t.equal(await hasher.verify(PASSWORD, argon2id, CLIENT), true)
  t.equal(counter.take(), 0, 'the real argon2 verification, no bcrypt work on success')
})
