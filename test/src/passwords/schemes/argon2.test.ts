import t from 'tap'
import { hash } from '@node-rs/argon2'
import { argon2Scheme } from '../../../../src/passwords/schemes/argon2.js'

const SMALL = { memoryKib: 1024, iterations: 1, parallelism: 1 }
const PASSWORD = 'Sturdy-Lamp-Orbit-42'
// The FastAPI tutorial's example user johndoe, password "secret", as pwdlib's recommended() hashes it.
const TUTORIAL_ARGON2 = '$argon2id$v=19$m=65536,t=3,p=4$wagCPXjifgvUFBzq4hqe3w$CYaIb8sB+wtD+Vu/P4uod1+Qof8h+1g7bbDlBID48Rc'

t.test('hashes as argon2id with the configured parameters and verifies them', async t => {
  const scheme = argon2Scheme(SMALL)
  const stored = await scheme.hash(PASSWORD)
  t.match(stored, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/)
  t.equal(await scheme.verify(PASSWORD, stored), true)
  t.equal(await scheme.verify('wrong-password-42', stored), false)
  t.equal(scheme.isCurrent(stored), true)
  t.equal(argon2Scheme({ ...SMALL, iterations: 2 }).isCurrent(stored), false, 'other iterations are not current')
  t.equal(argon2Scheme({ ...SMALL, memoryKib: 2048 }).isCurrent(stored), false, 'other memory is not current')
  t.equal(argon2Scheme({ ...SMALL, parallelism: 2 }).isCurrent(stored), false, 'other parallelism is not current')
})

t.test('verifies argon2i and any parameters; argon2i is never current', async t => {
  const scheme = argon2Scheme(SMALL)
  const argon2i = await hash(PASSWORD, { algorithm: 1 as never, memoryCost: 2048, timeCost: 2, parallelism: 2 })
  t.match(argon2i, /^\$argon2i\$/)
  t.equal(scheme.owns(argon2i), true)
  t.equal(await scheme.verify(PASSWORD, argon2i), true)
  t.equal(await scheme.verify('wrong-password-42', argon2i), false)
  t.equal(argon2Scheme({ memoryKib: 2048, iterations: 2, parallelism: 2 }).isCurrent(argon2i), false)
})

t.test("the tutorial's published argon2id hash verifies at pwdlib's defaults", async t => {
  const scheme = argon2Scheme(SMALL)
  t.equal(await scheme.verify('secret', TUTORIAL_ARGON2), true)
  t.equal(await scheme.verify('Secret', TUTORIAL_ARGON2), false)
})

t.test('an unusable or missing hash is refused after the dummy verification', async t => {
  const scheme = argon2Scheme(SMALL)
  const stored = await scheme.hash(PASSWORD)
  for (const bad of [undefined, stored.slice(0, -10).replace(/\$[^$]*$/, '$'), stored.replace('m=1024', 'm=4'), '$argon2d$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2g', '$2b$04$bad']) {
    t.equal(await scheme.verify(PASSWORD, bad), false, `refused: ${String(bad)}`)
    if (bad !== undefined) t.equal(scheme.owns(bad), false, `not owned: ${bad}`)
  }
})

t.test('accepts passwords of any length (the policy bounds new passwords)', async t => {
  const scheme = argon2Scheme(SMALL)
  const long = 'x'.repeat(200)
  t.equal(scheme.accepts(long), true)
  t.equal(await scheme.verify(long, await scheme.hash(long)), true)
})
