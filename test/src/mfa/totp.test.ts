import t from 'tap'
import { matchingStep, newTotpSecret, normalizeCode, otpauthUri } from '../../../src/mfa/totp.js'
import { oathtoolCode, STEP_MS } from '../../mfa.js'
import { needOathtool } from '../../services.js'

// RFC 6238 appendix B's SHA-1 key ("12345678901234567890") in base32, and a moment in the middle of a step.
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'
const NOW = 1_111_111_109_000 + 10_000

t.test('the RFC 6238 test vector: 6 digits of 07081804 at T = 1111111109', async t => {
  t.equal(matchingStep(RFC_SECRET, '081804', 1_111_111_109_000), Math.floor(1_111_111_109 / 30))
})

t.test('codes from oathtool: now and ±1 step are accepted, with the step they belong to; ±2 are not', async t => {
  if (!await needOathtool(t)) return
  const secret = newTotpSecret()
  const step = Math.floor(NOW / STEP_MS)
  for (const drift of [-1, 0, 1]) t.equal(matchingStep(secret, oathtoolCode(secret, NOW + drift * STEP_MS), NOW), step + drift, `drift ${drift}`)
  for (const drift of [-2, 2]) t.equal(matchingStep(secret, oathtoolCode(secret, NOW + drift * STEP_MS), NOW), undefined, `drift ${drift}`)
})

t.test('a code is six digits; the space apps show in the middle is allowed', async t => {
  t.equal(normalizeCode('123 456'), '123456')
  for (const bad of ['12345', '1234567', 'abcdef', '']) t.equal(normalizeCode(bad), undefined, bad)
  t.equal(matchingStep(RFC_SECRET, '081 804', 1_111_111_109_000), Math.floor(1_111_111_109 / 30))
})

t.test('a secret of 160 bits, in the URI authenticator apps read', async t => {
  const secret = newTotpSecret()
  t.match(secret, /^[A-Z2-7]{32}$/)
  t.not(newTotpSecret(), secret)
  t.equal(otpauthUri('JBSWY3DPEHPK3PXP', 'Acme Auth', 'a+b@example.com'),
    'otpauth://totp/Acme%20Auth:a%2Bb%40example.com?issuer=Acme%20Auth&secret=JBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30')
})
