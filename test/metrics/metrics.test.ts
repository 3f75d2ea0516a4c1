import { randomBytes } from 'node:crypto'
import t from 'tap'
import { listenForMetrics } from '../../plugins/metrics.js'
import { loadConfig } from '../../src/config.js'
import { request } from '../faults/http-client.js'
import { freePort, serviceEnv, sleep, startService } from '../child-process.js'
import { addUser, build, form, login, me, PASSWORD, tempDir } from '../helper.js'

/** The value of one sample line, e.g. sample(text, 'x_total{outcome="success"}'). */
function sample (text: string, series: string): number | undefined {
  const line = text.split('\n').find(l => l.startsWith(series + ' '))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

async function scrape (port: number): Promise<{ status: number, type: string | null, text: string }> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`)
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() }
}

t.test('the metrics listener serves the Prometheus text format; the public port has no /metrics', async t => {
  const app = await build(t, { METRICS_PORT: '9464' })
  const { port } = await listenForMetrics(app, '127.0.0.1', 0)
  const scraped = await scrape(port)
  t.equal(scraped.status, 200)
  t.match(scraped.type, /^text\/plain; version=0\.0\.4/)
  for (const name of [
    'gatehouse_http_requests_total', 'gatehouse_http_request_duration_seconds', 'gatehouse_login_attempts_total',
    'gatehouse_login_lockouts_total', 'gatehouse_password_hash_active', 'gatehouse_password_hash_queued',
    'gatehouse_process_cpu_seconds_total', 'gatehouse_nodejs_eventloop_lag_seconds'
  ]) t.match(scraped.text, `# TYPE ${name} `, name)
  t.notMatch(scraped.text, 'gatehouse_db_pool', 'no pool gauges on SQLite')

  const other = await fetch(`http://127.0.0.1:${port}/anything`)
  t.equal(other.status, 404, 'the metrics listener serves nothing else')
  await other.text()
  const publicPort = await app.inject({ method: 'GET', url: '/metrics' })
  t.equal(publicPort.statusCode, 404, 'metrics are not reachable on the service port')
})

t.test('login outcomes, lockouts and per-route request counters move', async t => {
  const app = await build(t, { METRICS_PORT: '9464', LOGIN_MAX_FAILURES_PER_USER: '2' })
  await addUser(app, 'alice')
  await addUser(app, 'dora', { disabled: true })
  const { port } = await listenForMetrics(app, '127.0.0.1', 0)

  const tokens = await login(app, 'alice')
  t.equal((await me(app, tokens.access_token)).statusCode, 200)
  const tryLogin = async (username: string, password: string) =>
    (await app.inject({ method: 'POST', url: '/token', ...form({ username, password }) })).statusCode
  t.equal(await tryLogin('dora', PASSWORD), 400, 'inactive user')
  t.equal(await tryLogin('bob', 'wrong-password-1'), 401)
  t.equal(await tryLogin('bob', 'wrong-password-2'), 401, 'the second failure locks bob out')
  t.equal(await tryLogin('bob', 'wrong-password-3'), 429)

  const { text } = await scrape(port)
  t.equal(sample(text, 'gatehouse_login_attempts_total{outcome="success"}'), 1)
  t.equal(sample(text, 'gatehouse_login_attempts_total{outcome="inactive"}'), 1)
  t.equal(sample(text, 'gatehouse_login_attempts_total{outcome="bad_credentials"}'), 2)
  t.equal(sample(text, 'gatehouse_login_attempts_total{outcome="locked_out"}'), 1)
  t.equal(sample(text, 'gatehouse_login_lockouts_total{scope="user"}'), 1)
  t.equal(sample(text, 'gatehouse_http_requests_total{method="POST",route="/token",status_code="200"}'), 1)
  t.equal(sample(text, 'gatehouse_http_requests_total{method="POST",route="/token",status_code="429"}'), 1)
  t.equal(sample(text, 'gatehouse_http_requests_total{method="GET",route="/users/me",status_code="200"}'), 1)
  t.equal(sample(text, 'gatehouse_http_request_duration_seconds_count{method="GET",route="/users/me",status_code="200"}'), 1)
})

t.test('random URLs do not grow the number of series: route labels are patterns', async t => {
  const app = await build(t, { METRICS_PORT: '9464' })
  await addUser(app, 'carol', { scopes: ['users:admin'] })
  const admin = await login(app, 'carol')
  const { port } = await listenForMetrics(app, '127.0.0.1', 0)
  const seriesCount = async () => (await scrape(port)).text.split('\n').filter(l => l.startsWith('gatehouse_http_requests_total{')).length

  const random = () => randomBytes(8).toString('hex')
  for (let i = 0; i < 5; i++) {
    await app.inject({ method: 'GET', url: `/${random()}/${random()}` })
    await app.inject({ method: 'GET', url: `/users/${random()}`, headers: { authorization: `Bearer ${admin.access_token}` } })
  }
  const after5 = await seriesCount()
  for (let i = 0; i < 50; i++) {
    await app.inject({ method: 'GET', url: `/${random()}?q=${random()}` })
    await app.inject({ method: 'GET', url: `/users/${random()}`, headers: { authorization: `Bearer ${admin.access_token}` } })
  }
  t.equal(await seriesCount(), after5, '100 more distinct URLs add no series')
  const { text } = await scrape(port)
  t.equal(sample(text, 'gatehouse_http_requests_total{method="GET",route="unmatched",status_code="404"}'), 55)
  t.equal(sample(text, 'gatehouse_http_requests_total{method="GET",route="/users/:username",status_code="404"}'), 55)
  t.notMatch(text, /route="\/[0-9a-f]{16}/, 'no raw URL appears as a label')
})

t.test('without METRICS_PORT nothing is recorded: no metrics decorator, no per-request hook', async t => {
  const app = await build(t)
  t.notOk(app.hasDecorator('metrics'))
  t.equal((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 404)
})

t.test('METRICS_PORT is validated', async t => {
  t.equal(loadConfig({ METRICS_PORT: '9464' }).metricsPort, 9464)
  t.equal(loadConfig({}).metricsPort, undefined, 'off by default')
  t.throws(() => loadConfig({ METRICS_PORT: '70000' }), /METRICS_PORT/)
  t.throws(() => loadConfig({ METRICS_PORT: 'nine' }), /METRICS_PORT/)
  t.throws(() => loadConfig({ PORT: '9000', METRICS_PORT: '9000' }), /METRICS_PORT: must differ from PORT/)
})

t.test('the service process opens the metrics listener on METRICS_PORT, bound to HOST', async t => {
  const metricsPort = await freePort()
  const service = await startService(t, serviceEnv(tempDir(t), await freePort(), { METRICS_PORT: String(metricsPort) }))
  t.equal((await request(`${service.baseUrl}/health/live`)).status, 200)
  let scraped = await scrape(metricsPort)
  for (let i = 0; i < 20 && sample(scraped.text, 'gatehouse_http_requests_total{method="GET",route="/health/live",status_code="200"}') !== 1; i++) {
    await sleep(100) // onResponse runs just after the response is sent
    scraped = await scrape(metricsPort)
  }
  t.equal(scraped.status, 200)
  t.equal(sample(scraped.text, 'gatehouse_http_requests_total{method="GET",route="/health/live",status_code="200"}'), 1)
  t.equal((await request(`${service.baseUrl}/metrics`)).status, 404, 'not on the service port')
  service.child.kill('SIGTERM')
  t.equal(await service.exited, 0, 'the metrics listener does not hold up shutdown')
})
