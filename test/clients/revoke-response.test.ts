import t from 'tap'
import { build, form } from '../helper.js'

/**
 * Found with simple-oauth2 (issue 7 item 2): it sends Accept: application/json
 * and refuses a revocation answer that is not JSON. RFC 7009 §2.2 lets the
 * body be anything the client ignores, so /revoke answers an empty JSON object.
 */
t.test('POST /revoke answers 200 with an empty JSON object, known token or not', async t => {
  const app = await build(t)
  const res = await app.inject({ method: 'POST', url: '/revoke', headers: { ...form({}).headers, accept: 'application/json' }, payload: form({ token: 'unknown-token' }).payload })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^application\/json/)
  t.same(res.json(), {})
  t.equal(res.headers['cache-control'], 'no-store')
})
