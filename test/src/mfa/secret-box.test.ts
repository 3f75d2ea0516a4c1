import { randomBytes } from 'node:crypto'
import t from 'tap'
import { createSecretBox, decodeEncryptionKey, encryptionKeysProblem } from '../../../src/mfa/secret-box.js'

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'

t.test('seals with AES-256-GCM: opens for the same user only, and refuses a tampered value', async t => {
  const box = createSecretBox([randomBytes(32)])
  const sealed = box.seal(SECRET, 7)
  t.notOk(sealed.includes(SECRET))
  t.not(box.seal(SECRET, 7), sealed, 'a fresh IV each time')
  t.equal(box.open(sealed, 7), SECRET)
  t.equal(box.open(sealed, 8), undefined, 'bound to the user (additional data)')
  const parts = sealed.split('.')
  const flipped = Buffer.from(parts[3] as string, 'base64url')
  flipped[0] = (flipped[0] as number) ^ 1
  t.equal(box.open([...parts.slice(0, 3), flipped.toString('base64url'), parts[4]].join('.'), 7), undefined, 'tampered')
  t.equal(box.open('not sealed', 7), undefined)
})

t.test('a key list: the first seals, every one opens; a dropped key opens nothing', async t => {
  const [oldKey, newKey] = [randomBytes(32), randomBytes(32)]
  const sealedOld = createSecretBox([oldKey]).seal(SECRET, 1)
  const rotated = createSecretBox([newKey, oldKey])
  t.equal(rotated.open(sealedOld, 1), SECRET)
  t.notOk(rotated.isCurrent(sealedOld))
  t.ok(rotated.isCurrent(rotated.seal(SECRET, 1)))
  t.equal(createSecretBox([newKey]).open(sealedOld, 1), undefined)
})

t.test('MFA_ENCRYPTION_KEY: 32 bytes as hex, base64 or base64url', async t => {
  const key = randomBytes(32)
  for (const text of [key.toString('hex'), key.toString('base64'), key.toString('base64url')]) t.same(decodeEncryptionKey(text), key, text)
  t.equal(decodeEncryptionKey(randomBytes(16).toString('hex')), undefined, '16 bytes')
  t.equal(decodeEncryptionKey('correct horse battery staple'), undefined)
  t.equal(encryptionKeysProblem(`${key.toString('hex')}, ${randomBytes(32).toString('base64')}`), undefined)
  t.match(encryptionKeysProblem(`${key.toString('hex')},short`), /key 2 is not 32 bytes/)
})
