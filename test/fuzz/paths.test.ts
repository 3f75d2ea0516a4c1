import fc from 'fast-check'
import t from 'tap'
import { addUser, build, login } from '../helper.js'
import { checkAnswer, collectGarbage, HEAP_MARGIN, MB, settledHeap } from './answers.js'
import { queryString, wellFormed } from './arbitraries.js'

/**
 * Paths and methods: every route template with generated parameters (broken
 * percent-encoding, dot segments, very long values, Unicode), unknown paths,
 * and every method, with and without an admin token. The router's own
 * rejections must use the standard body too.
 */
const app = await build(t)
await addUser(app, 'root', { scopes: ['users:admin'] })
await addUser(app, 'alice')
const admin = (await login(app, 'root')).access_token

const TEMPLATES = [
  '/token', '/revoke', '/logout', '/users', '/users/{p}', '/users/me', '/users/me/password', '/users/me/sessions',
  '/users/me/sessions/{p}', '/.well-known/jwks.json', '/.well-known/oauth-authorization-server', '/health/live',
  '/health/ready', '/password-reset', '/password-reset/confirm', '/{p}', '/users/{p}/{p}', '/docs/{p}'
]
const percentGarbage = fc.constantFrom('%', '%zz', '%E0%A4%A', '%C0%AE', '%00', '%2e%2e', '%2f', '%FF%FE', '%25', '%u0041')
const parameter = fc.oneof(
  fc.string({ maxLength: 20 }).map(s => encodeURIComponent(wellFormed(s))),
  fc.array(fc.oneof(percentGarbage, fc.stringMatching(/^[a-z0-9._~-]{0,8}$/)), { maxLength: 6 }).map(parts => parts.join('')),
  fc.integer({ min: 200, max: 2000 }).map(n => 'p'.repeat(n)),
  fc.constantFrom('..', '.', 'alice', 'ALICE', 'root', 'me', '', '%2e%2e%2fetc%2fpasswd')
)
const path = fc.tuple(fc.constantFrom(...TEMPLATES), fc.array(parameter, { minLength: 3, maxLength: 3 }), fc.constantFrom('', '/', '//'))
  .map(([template, values, tail]) => { let i = 0; return template.replace(/\{p\}/g, () => values[i++] ?? '') + tail })
const request = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
  path,
  query: queryString,
  authorized: fc.boolean()
})

t.test('generated paths and methods never get a 5xx, and memory stays flat', async t => {
  const gc = collectGarbage()
  const RUNS = 2500
  const statuses = new Map<number, number>()
  const property = fc.asyncProperty(request, async input => {
    const res = await app.inject({
      method: input.method as 'GET',
      url: input.path + wellFormed(input.query),
      headers: input.authorized ? { authorization: `Bearer ${admin}` } : {}
    })
    statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1)
    // Successes are possible on public routes and with the admin token; /docs serves HTML.
    if (input.path.startsWith('/docs') && res.statusCode < 400) return
    checkAnswer(res, [200, 204, 302])
  })
  await fc.assert(property, { numRuns: 300, seed: 7301 })
  const before = await settledHeap(gc)
  await fc.assert(property, { numRuns: RUNS, seed: 7302 })
  const growth = await settledHeap(gc) - before
  t.ok(growth < HEAP_MARGIN, `heap grew by ${(growth / MB).toFixed(1)} MB over ${RUNS} requests`)
  t.comment(`statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`)
  for (const status of [200, 400, 401, 404, 405, 414]) t.ok(statuses.has(status), `some inputs got ${status}`)
})
