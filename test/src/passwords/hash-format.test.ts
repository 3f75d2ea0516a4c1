import t from 'tap'
import { hashFormat } from '../../../src/passwords/hash-format.js'

// The FastAPI tutorial's published hashes of "secret" (passlib bcrypt, pwdlib argon2id).
const TUTORIAL_BCRYPT = '$2b$12$EixZaYVK1fsbw1ZfbX3OXePaWxn96p36WQoeG6Lruj3vjPGga31lW'
const TUTORIAL_ARGON2ID = '$argon2id$v=19$m=65536,t=3,p=4$wagCPXjifgvUFBzq4hqe3w$CYaIb8sB+wtD+Vu/P4uod1+Qof8h+1g7bbDlBID48Rc'

t.test('bcrypt hashes give their cost', async t => {
  t.same(hashFormat(TUTORIAL_BCRYPT), { scheme: 'bcrypt', cost: 12 })
  t.same(hashFormat(TUTORIAL_BCRYPT.replace('$2b$', '$2a$')), { scheme: 'bcrypt', cost: 12 })
  t.same(hashFormat(TUTORIAL_BCRYPT.replace('$2b$', '$2y$')), { scheme: 'bcrypt', cost: 12 })
  t.equal(hashFormat(TUTORIAL_BCRYPT.replace('$12$', '$03$')), undefined, 'cost below 4')
  t.equal(hashFormat(TUTORIAL_BCRYPT.replace('$12$', '$32$')), undefined, 'cost above 31')
  t.equal(hashFormat(TUTORIAL_BCRYPT.slice(0, -1) + 'x'), undefined, 'a last digest character bcrypt would not accept')
})

t.test('argon2 hashes give their parameters', async t => {
  t.same(hashFormat(TUTORIAL_ARGON2ID), { scheme: 'argon2id', memoryKib: 65536, iterations: 3, parallelism: 4 })
  t.same(hashFormat(TUTORIAL_ARGON2ID.replace('$argon2id$', '$argon2i$')), { scheme: 'argon2i', memoryKib: 65536, iterations: 3, parallelism: 4 })
  t.equal(hashFormat(TUTORIAL_ARGON2ID.replace('$argon2id$', '$argon2d$')), undefined, 'argon2d is not accepted')
  t.equal(hashFormat(TUTORIAL_ARGON2ID.replace('v=19', 'v=16')), undefined, 'only version 19')
  t.equal(hashFormat(TUTORIAL_ARGON2ID.replace('m=65536', 'm=16')), undefined, 'less memory than 8 KiB per lane')
  t.equal(hashFormat(TUTORIAL_ARGON2ID.replace('m=65536', 'm=9999999')), undefined, 'more than 4 GiB')
  t.equal(hashFormat(TUTORIAL_ARGON2ID.replace('t=3', 't=0')), undefined, 'no pass')
  t.equal(hashFormat(TUTORIAL_ARGON2ID + '='), undefined, 'padded base64')
})

t.test('anything else is not a hash', async t => {
  for (const text of ['', 'secret', '$1$abc$def', '$5$rounds=5000$salt$hash', 'plain$2b$12$']) {
    t.equal(hashFormat(text), undefined, JSON.stringify(text))
  }
})
