import t from 'tap'
import { build } from '../helper.js'
import { checkAnswer } from './answers.js'

/**
 * Cases the fuzzers found, kept as regular tests. Both came from
 * paths.test.ts (shrunk to `GET /%`): the router rejected them with Fastify's own body
 * `{error, code, message, statusCode}` instead of the standard one (fixed with
 * the frameworkErrors option in app.ts).
 */
t.test('a path with broken percent-encoding is a 400 with the standard body', async t => {
  const app = await build(t)
  for (const url of ['/%', '/users/%E0%A4%A']) {
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 400, url)
    t.doesNotThrow(() => { checkAnswer(res) }, url)
    t.equal(res.json().error, 'invalid_request', url)
  }
})

t.test('an over-long path parameter is a 414 with the standard body', async t => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: `/users/${'a'.repeat(300)}` })
  t.equal(res.statusCode, 414)
  t.doesNotThrow(() => { checkAnswer(res) })
})
