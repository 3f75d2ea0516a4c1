import t from 'tap'
import type { AccessTokenClaims } from '../../../src/tokens/access-tokens.js'
import { createVerifiedTokens } from '../../../src/tokens/verified-tokens.js'

const NOW = 1_700_000_000_000
const claimsOf = (jti: string): Readonly<AccessTokenClaims> => Object.freeze({
  iss: 'i', aud: 'a', sub: 'u', sid: 's', scope: '', jti, iat: NOW / 1000, auth_time: NOW / 1000, exp: NOW / 1000 + 900
} as AccessTokenClaims)

t.test('below its size every verified token is remembered', async t => {
  const verified = createVerifiedTokens(3, () => NOW)
  for (const token of ['a', 'b', 'c']) verified.set(token, claimsOf(token))
  for (const token of ['a', 'b', 'c']) t.equal(verified.get(token)?.jti, token)
})

t.test('a scan of tokens seen once does not evict the tokens in use', async t => {
  const verified = createVerifiedTokens(100, () => NOW)
  for (let i = 0; i < 100; i++) verified.set(`hot-${i}`, claimsOf(`hot-${i}`))
  for (let i = 0; i < 1000; i++) {
    const token = `scan-${i}`
    if (verified.get(token) === undefined) verified.set(token, claimsOf(token))
  }
  let kept = 0
  for (let i = 0; i < 100; i++) if (verified.get(`hot-${i}`) !== undefined) kept++
  t.ok(kept >= 90, `${kept} of 100 hot tokens kept (a doorkeeper false positive may admit a few scan tokens)`)
})

t.test('once full, a token verified twice within the window is admitted', async t => {
  const verified = createVerifiedTokens(2, () => NOW)
  verified.set('a', claimsOf('a'))
  verified.set('b', claimsOf('b'))
  verified.set('c', claimsOf('c'))
  t.equal(verified.get('c'), undefined, 'first sighting: not admitted')
  t.equal(verified.get('a')?.jti, 'a')
  verified.set('c', claimsOf('c'))
  t.equal(verified.get('c')?.jti, 'c', 'second sighting: admitted')
  t.equal(verified.get('b'), undefined, 'the least recently used entry made room')
  t.equal(verified.get('a')?.jti, 'a')
})

t.test('a remembered token that has expired is refused and forgotten', async t => {
  let now = NOW
  const verified = createVerifiedTokens(2, () => now)
  verified.set('a', claimsOf('a'))
  now = NOW + 901_000 + 60_000
  t.throws(() => verified.get('a'), { message: 'The access token expired' })
  t.equal(verified.get('a'), undefined)
})

t.test('size 0 remembers nothing', async t => {
  const verified = createVerifiedTokens(0, () => NOW)
  verified.set('a', claimsOf('a'))
  verified.set('a', claimsOf('a'))
  t.equal(verified.get('a'), undefined)
})
