import fc from 'fast-check'
import t from 'tap'
import { hs256, hs256Raw } from '../adversarial/craft.js'
import { addUser, build, login } from '../helper.js'
import { checkAnswer, collectGarbage, HEAP_MARGIN, MB, settledHeap } from './answers.js'
import { extraHeaders, headerText, queryString, wellFormed } from './arbitraries.js'

/**
 * Item 6 of issue 7, the Authorization header on GET /users/me: random
 * schemes and text, mutations of a real token, and tokens correctly signed
 * with the service's own secret over generated headers and claims. Only the
 * untouched real token may succeed; every other answer is a 401 with the
 * standard body and a Bearer challenge.
 */
const app = await build(t)
await addUser(app, 'alice')
const valid = (await login(app, 'alice')).access_token
const secret = app.config.jwt.secret as string
const kid = app.keys.current.kid
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

const mutation = fc.oneof(
  fc.record({ at: fc.nat(valid.length - 1), char: fc.constantFrom(...BASE64URL, '.', '=', '+', '/') })
    .map(({ at, char }) => valid.slice(0, at) + char + valid.slice(at + 1)),
  fc.nat(valid.length - 1).map(at => valid.slice(0, at)),
  fc.tuple(fc.nat(valid.length), fc.string({ maxLength: 20 })).map(([at, text]) => valid.slice(0, at) + text + valid.slice(at)),
  fc.shuffledSubarray(valid.split('.'), { minLength: 0 }).map(parts => parts.join('.'))
)
const segmentText = fc.string({ unit: fc.constantFrom(...BASE64URL), maxLength: 300 })
const now = Math.floor(Date.now() / 1000)
const claimValue = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.integer({ min: now - 10_000, max: now + 10_000 }), fc.constantFrom('alice', 'gatehouse', app.config.publicUrl, ''))
const signedGarbage = fc.oneof(
  fc.tuple(fc.dictionary(fc.constantFrom('alg', 'typ', 'kid', 'cty', 'crit', 'jku', 'x5u', 'b64'), fc.jsonValue({ maxDepth: 1 })), fc.dictionary(fc.string({ maxLength: 10 }), claimValue))
    .map(([header, payload]) => hs256({ alg: 'HS256', typ: 'at+jwt', kid, ...header }, payload, secret)),
  fc.dictionary(fc.constantFrom('iss', 'aud', 'sub', 'iat', 'exp', 'nbf', 'jti', 'scope', 'sid', 'auth_time'), claimValue)
    .map(payload => hs256({ alg: 'HS256', typ: 'at+jwt', kid }, payload, secret)),
  fc.tuple(fc.jsonValue(), fc.jsonValue()).map(([header, payload]) => hs256Raw(JSON.stringify(header) ?? '', JSON.stringify(payload) ?? '', secret))
)
const token = fc.oneof(
  { weight: 3, arbitrary: mutation },
  { weight: 3, arbitrary: signedGarbage },
  { weight: 2, arbitrary: fc.array(segmentText, { maxLength: 5 }).map(parts => parts.join('.')) },
  { weight: 1, arbitrary: headerText(300) },
  { weight: 1, arbitrary: fc.nat({ max: 20_000 }).map(n => 'a'.repeat(n)) }
)
const scheme = fc.constantFrom('Bearer ', 'bearer ', 'BEARER ', 'Bearer  ', 'Bearer\t', 'Basic ', 'Token ', 'Bearer=', '', ' Bearer ')
const authorization = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(scheme, token, fc.constantFrom('', ' ', ',', ', Basic x')).map(([s, v, tail]) => s + v + tail) },
  { weight: 1, arbitrary: headerText(200) },
  { weight: 1, arbitrary: fc.constant(undefined) }
)
const request = fc.record({ authorization, query: queryString, headers: extraHeaders, path: fc.constantFrom('/users/me', '/users/me/', '/users/me/sessions', '/users') })

t.test('generated Authorization headers never get a 5xx, and memory stays flat', async t => {
  const gc = collectGarbage()
  const RUNS = 4000
  const statuses = new Map<number, number>()
  const property = fc.asyncProperty(request, async input => {
    const headers: Record<string, string> = { ...input.headers }
    if (input.authorization !== undefined) headers.authorization = wellFormed(input.authorization)
    const res = await app.inject({ method: 'GET', url: input.path + wellFormed(input.query), headers })
    statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1)
    const untouched = /^bearer +(\S+) *$/i.exec(headers.authorization ?? '')?.[1] === valid
    checkAnswer(res, untouched ? [200] : [])
    if (res.statusCode === 403 && !untouched) throw new Error('403 for a token that is not the real one')
    if (res.statusCode === 401 && !String(res.headers['www-authenticate']).startsWith('Bearer')) throw new Error('401 without a Bearer challenge')
  })
  await fc.assert(property, { numRuns: 500, seed: 7201 })
  const before = await settledHeap(gc)
  await fc.assert(property, { numRuns: RUNS, seed: 7202 })
  const growth = await settledHeap(gc) - before
  t.ok(growth < HEAP_MARGIN, `heap grew by ${(growth / MB).toFixed(1)} MB over ${RUNS} requests`)
  t.comment(`statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`)
  t.ok(statuses.has(401), 'some inputs got 401')
  t.same([...statuses.keys()].filter(s => ![200, 400, 401, 403].includes(s)), [], 'only 401 (400 for a bad query on /users; 200, or 403 on /users, for the real token)')
  const res = await app.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${valid}` } })
  t.equal(res.statusCode, 200, 'the real token still works')
})
