import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { addUser, bearer, build, form, PASSWORD } from '../helper.js'
import { buildWithLogs } from '../logs.js'

// The proxy in front connects from 10.0.0.2 and appends the address it saw
// to X-Forwarded-For; everything before that entry is written by the client.
const PROXY = '10.0.0.2'
const viaProxy = (clientWrote: string, proxySaw: string) => ({ remoteAddress: PROXY, headers: { 'x-forwarded-for': `${clientWrote}, ${proxySaw}` } })

async function attempt (app: FastifyInstance, username: string, password: string, from: { remoteAddress: string, headers: Record<string, string> }) {
  const request = form({ username, password })
  return await app.inject({ method: 'POST', url: '/token', payload: request.payload, remoteAddress: from.remoteAddress, headers: { ...request.headers, ...from.headers } })
}

/** The IP recorded for a session is request.ip at login. */
async function recordedIp (app: FastifyInstance, from: { remoteAddress: string, headers: Record<string, string> }): Promise<string> {
  const res = await attempt(app, 'alice', PASSWORD, from)
  const sessions = await app.inject({ method: 'GET', url: '/users/me/sessions', headers: bearer(res.json().access_token) })
  return (sessions.json() as Array<{ ip: string, current: boolean }>).find(s => s.current)?.ip ?? ''
}

t.test('TRUST_PROXY=1: the client address is the entry the proxy added, whatever the client wrote before it', async t => {
  const app = await build(t, { TRUST_PROXY: '1' })
  await addUser(app, 'alice')
  t.equal(await recordedIp(app, viaProxy('6.6.6.6', '203.0.113.9')), '203.0.113.9')
  t.equal(await recordedIp(app, viaProxy('6.6.6.6, 7.7.7.7', '203.0.113.9')), '203.0.113.9', 'several forged entries')
  t.equal(await recordedIp(app, { remoteAddress: PROXY, headers: {} }), PROXY, 'no header: the peer')
})

t.test('TRUST_PROXY=1: the per-IP login lockout follows the proxy-added entry', async t => {
  const app = await build(t, { TRUST_PROXY: '1', LOGIN_MAX_FAILURES_PER_IP: '3', LOGIN_MAX_FAILURES_PER_USER: '100' })
  for (let i = 0; i < 3; i++) {
    t.equal((await attempt(app, `user${i}`, 'wrong', viaProxy(`198.51.100.${i}`, '203.0.113.9'))).statusCode, 401, `failure ${i + 1}`)
  }
  const forged = await attempt(app, 'user9', 'wrong', viaProxy('198.51.100.77', '203.0.113.9'))
  t.equal(forged.statusCode, 429, 'a fresh forged leftmost entry does not escape the lockout')
  t.equal((await attempt(app, 'user9', 'wrong', viaProxy('203.0.113.9', '192.0.2.4'))).statusCode, 401, 'another client behind the proxy is not locked out')
})

t.test('TRUST_PROXY=1: the general rate limit follows the proxy-added entry', async t => {
  const app = await build(t, { TRUST_PROXY: '1', RATE_LIMIT_MAX: '2' })
  const get = async (clientWrote: string, proxySaw: string) =>
    (await app.inject({ method: 'GET', url: '/.well-known/jwks.json', ...viaProxy(clientWrote, proxySaw) })).statusCode
  t.equal(await get('198.51.100.1', '203.0.113.9'), 200)
  t.equal(await get('198.51.100.2', '203.0.113.9'), 200)
  t.equal(await get('198.51.100.3', '203.0.113.9'), 429, 'limited despite a new forged entry')
  t.equal(await get('198.51.100.3', '192.0.2.4'), 200, 'another client is not')
})

t.test('TRUST_PROXY as a list: only the listed proxies are believed', async t => {
  const app = await build(t, { TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' })
  await addUser(app, 'alice')
  t.equal(await recordedIp(app, viaProxy('6.6.6.6', '203.0.113.9')), '203.0.113.9', 'from a listed proxy: the entry it added')
  t.equal(await recordedIp(app, { remoteAddress: '10.0.0.3', headers: { 'x-forwarded-for': '6.6.6.6, 203.0.113.9, 10.0.0.9' } }), '203.0.113.9',
    'two listed proxies in a row: the first address outside the list')
  t.equal(await recordedIp(app, { remoteAddress: '192.0.2.50', headers: { 'x-forwarded-for': '6.6.6.6' } }), '192.0.2.50',
    'a peer that is not a listed proxy: its own address, the header ignored')
})

t.test('TRUST_PROXY=true is still accepted (leftmost entry, as before) but warns at start', async t => {
  const { app, logs } = await buildWithLogs(t, { TRUST_PROXY: 'true' })
  await addUser(app, 'alice')
  const warning = logs.lines().find(l => l.level === 40 && /TRUST_PROXY=true/.test(String(l.msg)))
  t.ok(warning, 'a warning naming TRUST_PROXY=true')
  t.equal(await recordedIp(app, viaProxy('6.6.6.6', '203.0.113.9')), '6.6.6.6')
  const quiet = await buildWithLogs(t, { TRUST_PROXY: '1' })
  t.notOk(quiet.logs.lines().some(l => /TRUST_PROXY/.test(String(l.msg))), 'no warning for a hop count')
})
