import t from 'tap'
import { newRecoveryCodes, recoveryCodeHash } from '../../../src/mfa/recovery-codes.js'

t.test('ten different codes of 16 characters, stored as their hash; typing variants hash alike', async t => {
  const codes = newRecoveryCodes()
  t.equal(codes.length, 10)
  t.equal(new Set(codes.map(c => c.code)).size, 10)
  const { code, hash } = codes[0] as { code: string, hash: string }
  t.match(code, /^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/)
  t.equal(recoveryCodeHash(code.toUpperCase()), hash)
  t.equal(recoveryCodeHash(` ${code.replace(/-/g, ' ')} `), hash)
  t.equal(recoveryCodeHash(code.slice(0, -1)), undefined, 'too short')
  t.equal(recoveryCodeHash(code.slice(0, -1) + 'u'), undefined, 'not of the alphabet')
})
