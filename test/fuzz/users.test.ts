import fc from 'fast-check'
import t from 'tap'
import { build } from '../helper.js'
import { checkAnswer, collectGarbage, HEAP_MARGIN, MB, settledHeap } from './answers.js'
import { anyText, contentType, extraHeaders, headerText, queryString, trickyText, wellFormed } from './arbitraries.js'

/**
 * Item 6 of issue 7, POST /users with open sign-up: generated JSON bodies
 * (valid registrations, wrong types, unknown members, prototype keys),
 * raw bodies, content types, query strings and headers.
 */
const app = await build(t, { SIGNUP_ENABLED: 'true' })
await app.userService.register({ username: 'taken', password: 'Sturdy-Lamp-Orbit-42' })

const anyJson = fc.jsonValue({ maxDepth: 3 })
const member = (valid: fc.Arbitrary<string>) => fc.oneof(
  { weight: 5, arbitrary: valid },
  { weight: 2, arbitrary: trickyText },
  { weight: 1, arbitrary: anyJson }
)
const registration = fc.record({
  username: member(fc.oneof(fc.stringMatching(/^[A-Za-z0-9._@+-]{3,24}$/), fc.constantFrom('taken', 'TAKEN', 'ｔａｋｅｎ'))),
  password: member(fc.stringMatching(/^[A-Za-z0-9!#%&*-]{12,30}$/)),
  email: member(fc.emailAddress()),
  full_name: member(fc.string({ maxLength: 40 })),
  extra: fc.option(fc.dictionary(fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('__proto__', 'constructor', 'scopes', 'disabled')), anyJson, { minKeys: 1, maxKeys: 2 }), { freq: 4 })
}, { requiredKeys: ['username', 'password'] })
  .map(({ extra, ...fields }) => JSON.stringify({ ...fields, ...extra }))

const request = fc.record({
  body: fc.oneof(
    { weight: 6, arbitrary: registration },
    { weight: 1, arbitrary: anyJson.map(v => JSON.stringify(v)) },
    { weight: 1, arbitrary: anyText(200) },
    { weight: 1, arbitrary: fc.constantFrom('', '{', '{"username":"a"}'.repeat(3), '{"__proto__":{"disabled":true},"username":"proto","password":"x"}', `{"username":"${'u'.repeat(17 * 1024)}"}`) }
  ),
  type: contentType('application/json'),
  query: queryString,
  headers: extraHeaders,
  authorization: fc.oneof(
    { weight: 6, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.oneof(headerText(100), headerText(100).map(s => `Bearer ${s}`)) }
  )
})
type UsersRequest = typeof request extends fc.Arbitrary<infer T> ? T : never

async function send (input: UsersRequest) {
  const headers: Record<string, string> = { ...input.headers }
  if (input.type !== undefined) headers['content-type'] = input.type
  if (input.authorization !== undefined) headers.authorization = input.authorization
  return await app.inject({ method: 'POST', url: `/users${wellFormed(input.query)}`, headers, payload: input.body })
}

t.test('generated registrations never get a 5xx, and memory stays flat', async t => {
  const gc = collectGarbage()
  const RUNS = 2000
  const statuses = new Map<number, number>()
  const property = fc.asyncProperty(request, async input => {
    const res = await send(input)
    statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1)
    checkAnswer(res, [201])
  })
  await fc.assert(property, { numRuns: 400, seed: 7101 })
  const before = await settledHeap(gc)
  await fc.assert(property, { numRuns: RUNS, seed: 7102 })
  const growth = await settledHeap(gc) - before
  t.ok(growth < HEAP_MARGIN, `heap grew by ${(growth / MB).toFixed(1)} MB over ${RUNS} requests`)
  t.comment(`statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`)
  for (const status of [201, 400, 401, 409, 413, 415]) t.ok(statuses.has(status), `some inputs got ${status}`)
})
