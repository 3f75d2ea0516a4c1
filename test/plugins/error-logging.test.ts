import t from 'tap'
import { HashQueueFullError } from '../../src/passwords/hash-limiter.js'
import { temporarilyUnavailable } from '../../src/errors.js'
import { addUser, bearer, form, login, PASSWORD } from '../helper.js'
import { buildWithLogs } from '../logs.js'

const ERROR = 50
const WARN = 40
const INFO = 30
const hasStack = (line: Record<string, unknown>) => JSON.stringify(line).includes('"stack"')

t.test('a login flood on a full hashing queue: info lines without stacks, one warn line, nothing at error', async t => {
  const { app, logs } = await buildWithLogs(t)
  await addUser(app, 'alice')
  t.capture(app.passwordHasher, 'verify', async () => { throw new HashQueueFullError() })
  const flood = 40
  for (let i = 0; i < flood; i++) {
    const res = await app.inject({ method: 'POST', url: '/token', ...form({ username: 'alice', password: PASSWORD }) })
    t.equal(res.statusCode, 503)
  }
  const refusals = logs.lines().filter(l => l.status === 503)
  t.equal(refusals.filter(l => l.level === INFO).length, flood, 'each 503 is one info line')
  const warnings = refusals.filter(l => l.level === WARN)
  t.equal(warnings.length, 1, 'one warn line for the burst, not one per request')
  t.match(warnings[0], { error: 'temporarily_unavailable', cause: /HashQueueFullError/, skipped: 0 })
  t.equal(logs.lines().filter(l => (l.level as number) >= ERROR).length, 0, 'nothing at error level')
  t.notOk(logs.lines().some(hasStack), 'no stack anywhere')
})

t.test('LOG_LEVEL=warn: a flood of 503s writes one line', async t => {
  const { app, logs } = await buildWithLogs(t, { LOG_LEVEL: 'warn' })
  await addUser(app, 'alice')
  t.capture(app.passwordHasher, 'verify', async () => { throw new HashQueueFullError() })
  for (let i = 0; i < 40; i++) await app.inject({ method: 'POST', url: '/token', ...form({ username: 'alice', password: PASSWORD }) })
  t.equal(logs.lines().length, 1)
  t.ok(logs.text().length < 1000, `${logs.text().length} bytes`)
})

t.test('an outage 503 is a warn without a stack; an unexpected error is an error with its stack; a 4xx is info', async t => {
  const { app, logs } = await buildWithLogs(t)
  await addUser(app, 'root', { scopes: ['users:admin'] })
  const admin = bearer((await login(app, 'root')).access_token)
  const get = t.capture(app.userService, 'get', async () => { throw temporarilyUnavailable('The service is temporarily unavailable; try again shortly', 2) })
  t.equal((await app.inject({ method: 'GET', url: '/users/alice', headers: admin })).statusCode, 503)
  const outage = logs.lines().filter(l => l.status === 503)
  t.same(outage.map(l => l.level), [INFO, WARN])
  t.notOk(outage.some(hasStack), 'no stack for an outage')
  get.restore()

  t.capture(app.userService, 'get', async () => { throw new Error('a bug') })
  t.equal((await app.inject({ method: 'GET', url: '/users/alice', headers: admin })).statusCode, 500)
  const failed = logs.lines().filter(l => l.level === ERROR)
  t.equal(failed.length, 1, 'the unexpected error is logged at error')
  t.match(failed[0], { msg: 'request failed', err: { message: 'a bug', stack: /Error: a bug/ } })

  t.equal((await app.inject({ method: 'GET', url: '/nope/x', headers: admin })).statusCode, 404)
  t.equal((await app.inject({ method: 'POST', url: '/token', ...form({ username: 'root', password: 'wrong-password' }) })).statusCode, 401)
  t.equal(logs.lines().filter(l => l.status === 401 && l.level === INFO).length, 1, 'a 4xx refusal: info')
  const loud = logs.lines().filter(l => (l.level as number) >= WARN && l.status !== 503 && (l.level as number) < ERROR)
  t.same(loud, [], 'no 4xx above info')
})
