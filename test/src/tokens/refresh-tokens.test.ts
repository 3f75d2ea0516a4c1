import { createHash } from 'node:crypto'
import t from 'tap'
import { hashRefreshToken, newRefreshToken, newSessionId, REFRESH_TOKEN_PATTERN } from '../../../src/tokens/refresh-tokens.js'

t.test('refresh tokens: 256 random bits, stored only as a SHA-256', async t => {
  const { token, hash } = newRefreshToken()
  t.match(token, REFRESH_TOKEN_PATTERN)
  t.equal(Buffer.from(token, 'base64url').length, 32, '256 bits')
  t.equal(hash, createHash('sha256').update(token).digest('base64url'))
  t.equal(hashRefreshToken(token), hash)
  t.not(hash, token)
  const many = new Set(Array.from({ length: 200 }, () => newRefreshToken().token))
  t.equal(many.size, 200, 'unique')
})

t.test('session ids are random and url-safe', async t => {
  const ids = new Set(Array.from({ length: 200 }, newSessionId))
  t.equal(ids.size, 200)
  for (const id of ids) t.match(id, /^[A-Za-z0-9_-]{22}$/)
})
