import t from 'tap'
import { commonPasswordCount, passwordPolicyViolation } from '../../../src/passwords/password-policy.js'

t.test('acceptable passwords pass', async t => {
  t.equal(passwordPolicyViolation('Sturdy-Lamp-Orbit-42', 'alice'), undefined)
  t.equal(passwordPolicyViolation('a1B2c3D4'.repeat(9), 'alice'), undefined, 'exactly 72 bytes')
  t.equal(passwordPolicyViolation('xq7#Lm2p', 'alice'), undefined, 'exactly 8 bytes')
})

t.test('each refusal names its rule', async t => {
  t.equal(passwordPolicyViolation('xq7#Lm2', 'alice'), 'Password must be at least 8 bytes long')
  t.equal(passwordPolicyViolation('', 'alice'), 'Password must be at least 8 bytes long')
  t.match(passwordPolicyViolation('a1B2c3D4'.repeat(9) + 'x', 'alice'), /^Password must be at most 72 bytes long/)
  t.match(passwordPolicyViolation('\u00E9'.repeat(37), 'alice'), /at most 72 bytes/, '37 two-byte characters are 74 bytes')
  t.equal(passwordPolicyViolation('alice-the-admin', 'alice-the-admin'), 'Password must not be the username')
  t.equal(passwordPolicyViolation('Alice-The-Admin', 'alice-the-admin'), 'Password must not be the username', 'case-insensitively')
  t.match(passwordPolicyViolation('password1', 'alice'), /^Password is too common/)
  t.match(passwordPolicyViolation('PASSWORD1', 'alice'), /too common/, 'case-insensitively')
  t.match(passwordPolicyViolation('iloveyou', 'alice'), /too common/)
  t.match(passwordPolicyViolation('12345678', 'alice'), /too common/)
})

t.test('a password must not contain the username (4+ characters), case-insensitively', async t => {
  const contains = 'Password must not contain the username'
  t.equal(passwordPolicyViolation('alice-Orbit-42', 'alice'), contains, 'at the start')
  t.equal(passwordPolicyViolation('Orbit-ALICE-42', 'alice'), contains, 'in the middle, another case')
  t.equal(passwordPolicyViolation('Orbit-42-Alice', 'alice'), contains, 'at the end')
  t.equal(passwordPolicyViolation('Lamp-Orbit-dave', 'dave'), contains, 'exactly 4 characters')
  t.equal(passwordPolicyViolation('Lamp-Orbit-\uFF24ave', 'dave'), contains, 'after NFKC (fullwidth "Ｄ")')
  t.equal(passwordPolicyViolation('Lamp-Orbit-Bob-42', 'bob'), undefined, 'a 3-character username may appear')
  t.equal(passwordPolicyViolation('Al-ice-Orbit-42', 'alice'), undefined, 'only the whole username counts')
})

t.test('lengths are measured after NFKC', async t => {
  // "ﬀ" (U+FB00) is 3 bytes raw and "ff" (2 bytes) after NFKC: "ﬀﬀﬀq" is 10 bytes raw, 7 normalised.
  t.equal(passwordPolicyViolation('\uFB00'.repeat(3) + 'q', 'alice'), 'Password must be at least 8 bytes long', '"ﬀﬀﬀq" is 7 bytes after NFKC')
})

t.test('the common-password list holds at least 10,000 entries', async t => {
  t.ok(commonPasswordCount() >= 10_000, `${commonPasswordCount()} entries`)
})
