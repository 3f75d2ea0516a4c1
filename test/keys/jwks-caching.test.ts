import t from 'tap'
import { createHash } from 'node:crypto'
import { build, tempDir } from '../helper.js'
import { loadConfig, type ConfigError } from '../../src/config.js'
import { writeKeyPair } from './key-files.js'

const JWKS = '/.well-known/jwks.json'

t.test('the JWKS carries a strong ETag: the SHA-256 of exactly the body sent, the same on every request', async t => {
  const dir = tempDir(t)
  const app = await build(t, { JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY_FILE: writeKeyPair(dir, 'ES256').privateFile })
  const first = await app.inject({ method: 'GET', url: JWKS })
  const second = await app.inject({ method: 'GET', url: JWKS })
  t.equal(first.statusCode, 200)
  t.match(first.headers['content-type'], /^application\/json/)
  const etag = String(first.headers.etag)
  t.match(etag, /^"[A-Za-z0-9_-]{43}"$/, 'strong (no W/), quoted')
  t.equal(etag, `"${createHash('sha256').update(first.rawPayload).digest('base64url')}"`)
  t.equal(second.headers.etag, etag)
  t.equal(second.body, first.body)
  t.equal(first.json().keys[0].kid, app.keys.current.kid)
})

t.test('another key set has another ETag', async t => {
  const dir = tempDir(t)
  const key = writeKeyPair(dir, 'ES256')
  const alone = await build(t, { JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY_FILE: key.privateFile })
  const withRetired = await build(t, { JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY_FILE: key.privateFile, JWT_PREVIOUS_KEY_FILES: writeKeyPair(dir, 'ES256').publicFile })
  const a = await alone.inject({ method: 'GET', url: JWKS })
  const b = await withRetired.inject({ method: 'GET', url: JWKS })
  t.not(a.headers.etag, b.headers.etag)
})

t.test('If-None-Match with the current ETag answers 304 without a body; anything else gets the document', async t => {
  const dir = tempDir(t)
  const app = await build(t, { JWT_ALGORITHM: 'RS256', JWT_PRIVATE_KEY_FILE: writeKeyPair(dir, 'RS256').privateFile })
  const full = await app.inject({ method: 'GET', url: JWKS })
  const etag = String(full.headers.etag)
  for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
    const res = await app.inject({ method: 'GET', url: JWKS, headers: { 'if-none-match': ifNoneMatch } })
    t.equal(res.statusCode, 304, `If-None-Match: ${ifNoneMatch}`)
    t.equal(res.body, '')
    t.equal(res.headers.etag, etag, 'a 304 repeats the ETag')
    t.equal(res.headers['cache-control'], full.headers['cache-control'], 'and refreshes the cache lifetime')
  }
  for (const ifNoneMatch of ['"other"', etag.slice(0, -2) + '"', etag.replace(/"/g, '')]) {
    const res = await app.inject({ method: 'GET', url: JWKS, headers: { 'if-none-match': ifNoneMatch } })
    t.equal(res.statusCode, 200, `If-None-Match: ${ifNoneMatch}`)
    t.equal(res.body, full.body)
  }
})

t.test('Cache-Control max-age is JWKS_MAX_AGE_SECONDS (default 300)', async t => {
  const byDefault = await build(t)
  t.equal((await byDefault.inject({ method: 'GET', url: JWKS })).headers['cache-control'], 'public, max-age=300, stale-while-revalidate=60')
  const short = await build(t, { JWKS_MAX_AGE_SECONDS: '30' })
  const res = await short.inject({ method: 'GET', url: JWKS })
  t.equal(res.headers['cache-control'], 'public, max-age=30, stale-while-revalidate=60')
  t.same(res.json(), { keys: [] }, 'HS256: still the empty set')
  const none = await build(t, { JWKS_MAX_AGE_SECONDS: '0' })
  t.match((await none.inject({ method: 'GET', url: JWKS })).headers['cache-control'], /^public, max-age=0,/)
})

t.test('JWKS_MAX_AGE_SECONDS is validated like every whole-number setting', async t => {
  t.equal(loadConfig({ JWKS_MAX_AGE_SECONDS: '120' }).jwt.jwksMaxAgeSeconds, 120)
  for (const bad of ['-1', '86401', '1.5', 'soon']) {
    let problems: string[] = []
    try { loadConfig({ JWKS_MAX_AGE_SECONDS: bad }) } catch (error) { problems = (error as ConfigError).problems }
    t.same(problems, [`JWKS_MAX_AGE_SECONDS: expected a whole number from 0 to 86400 (got ${JSON.stringify(bad)})`], bad)
  }
})
