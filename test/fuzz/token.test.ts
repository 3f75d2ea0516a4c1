import fc from 'fast-check'
import t from 'tap'
import { addUser, build, login, PASSWORD } from '../helper.js'
import { checkAnswer, collectGarbage, HEAP_MARGIN, MB, settledHeap } from './answers.js'
import { anyText, contentType, extraHeaders, queryString, trickyText, wellFormed } from './arbitraries.js'

/**
 * Item 6 of issue 7, POST /token: generated form bodies (known and unknown
 * fields, repeated fields, huge values), raw bodies, content types, query
 * strings and headers. Never a 5xx; each 4xx has the standard body.
 */
const FIELDS = ['grant_type', 'username', 'password', 'scope', 'refresh_token', 'client_id', 'client_secret'] as const

const app = await build(t)
await addUser(app, 'alice', { scopes: ['users:admin'] })
const { refresh_token: refreshToken } = await login(app, 'alice')

const fieldName = fc.oneof({ weight: 5, arbitrary: fc.constantFrom<string>(...FIELDS) }, { weight: 1, arbitrary: fc.string({ maxLength: 20 }) })
const fieldValue = fc.oneof(
  { weight: 3, arbitrary: trickyText },
  { weight: 2, arbitrary: fc.constantFrom('password', 'refresh_token', 'client_credentials', 'alice', 'ALICE', PASSWORD, 'users:admin', 'users:admin nope', refreshToken) }
)
const formBody = fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 8 })
  .map(pairs => new URLSearchParams(pairs).toString())
const rawBody = fc.oneof(
  anyText(200),
  fc.constantFrom('username=alice&password=' + encodeURIComponent(PASSWORD), '%', '=&=&', 'a'.repeat(20 * 1024), '{"username":"alice"}', '\u0000\u0000', 'username=%C0%AE')
)

const request = fc.record({
  body: fc.oneof({ weight: 4, arbitrary: formBody }, { weight: 1, arbitrary: rawBody }),
  type: contentType('application/x-www-form-urlencoded'),
  query: queryString,
  headers: extraHeaders,
  trailingSlash: fc.boolean()
})

type TokenRequest = typeof request extends fc.Arbitrary<infer T> ? T : never

async function send (input: TokenRequest) {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(input.headers)) headers[name] = value
  if (input.type !== undefined) headers['content-type'] = input.type
  return await app.inject({
    method: 'POST',
    url: `/token${input.trailingSlash ? '/' : ''}${wellFormed(input.query)}`,
    headers,
    payload: input.body
  })
}

t.test('generated token requests never get a 5xx, and memory stays flat', async t => {
  const gc = collectGarbage()
  const RUNS = 3000
  const statuses = new Map<number, number>()
  const property = fc.asyncProperty(request, async input => {
    const res = await send(input)
    statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1)
    checkAnswer(res, [200])
  })
  await fc.assert(property, { numRuns: 500, seed: 7001 })
  const before = await settledHeap(gc)
  await fc.assert(property, { numRuns: RUNS, seed: 7002 })
  const growth = await settledHeap(gc) - before
  t.ok(growth < HEAP_MARGIN, `heap grew by ${(growth / MB).toFixed(1)} MB over ${RUNS} requests`)
  // The generators must reach every kind of answer, or the property says little.
  const seen = [...statuses.keys()].sort()
  t.comment(`statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`)
  for (const status of [200, 400, 401, 413, 415]) t.ok(seen.includes(status), `some inputs got ${status}`)
})
