import type { Test } from 'tap'
import http from 'node:http'
import net from 'node:net'
import t from 'tap'
import { PASSWORD, tempDir } from '../helper.js'
import { formBody, jsonBody, request } from './http-client.js'
import { freePort, serviceEnv, sleep, startService, type Service } from '../child-process.js'

// Real processes on a shared 2-core machine: allow more than the default per-file budget.
t.setTimeout(300_000)

interface Outcome { sentBeforeSignal: boolean, status?: number, error?: string }

const ENV = {
  SIGNUP_ENABLED: 'true',
  // Under a login flood on a busy 2-core machine the hash queue could time out
  // and answer 503 by design; this test is about shutdown, not that limit.
  HASH_QUEUE_TIMEOUT_MS: '60000',
  // Every client here is one IP: its share of the hashing queue must be the whole queue.
  HASH_QUEUE_MAX_PER_IP: '64',
  // 20 clients log in as alice at once, and attempts in flight count toward the per-user limit.
  LOGIN_MAX_FAILURES_PER_USER: '100'
}

async function startWithUser (t: Test): Promise<Service> {
  const service = await startService(t, serviceEnv(tempDir(t), await freePort(), ENV))
  const created = await request(`${service.baseUrl}/users`, { method: 'POST', ...jsonBody({ username: 'alice', password: PASSWORD }) })
  t.equal(created.status, 201, 'user registered')
  return service
}

async function passwordGrant (service: Service, agent?: http.Agent) {
  return await request(`${service.baseUrl}/token`, { method: 'POST', agent, ...formBody({ username: 'alice', password: PASSWORD }) })
}

t.test('SIGTERM under keep-alive load: accepted requests complete with 2xx, then exit 0', async t => {
  const service = await startWithUser(t)
  let signalled = false
  let stop = false
  const outcomes: Outcome[] = []

  /** One client: its own keep-alive connection, requests one after another until the service is gone. */
  async function loop (kind: 'me' | 'password' | 'refresh'): Promise<void> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    try {
      let tokens = (await passwordGrant(service, agent)).json<{ access_token: string, refresh_token: string }>()
      while (!stop) {
        const outcome: Outcome = { sentBeforeSignal: !signalled }
        outcomes.push(outcome)
        try {
          const res = kind === 'me'
            ? await request(`${service.baseUrl}/users/me`, { agent, headers: { authorization: `Bearer ${tokens.access_token}` } })
            : kind === 'password'
              ? await passwordGrant(service, agent)
              : await request(`${service.baseUrl}/token`, { method: 'POST', agent, ...formBody({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }) })
          outcome.status = res.status
          if (kind === 'refresh' && res.status === 200) tokens = res.json()
        } catch (err) {
          outcome.error = (err as NodeJS.ErrnoException).code ?? (err as Error).message
          if (signalled) return // the service is going away: this client is done
          throw err
        }
      }
    } finally {
      agent.destroy()
    }
  }

  const kinds = [...Array(10).fill('me'), ...Array(5).fill('password'), ...Array(5).fill('refresh')] as Array<'me' | 'password' | 'refresh'>
  const clients = Promise.all(kinds.map(loop))
  // Steady load first (bounded wait), then the signal mid-stream.
  for (let i = 0; i < 300 && outcomes.filter(o => o.status !== undefined).length < 200; i++) await sleep(100)
  signalled = true
  service.child.kill('SIGTERM')
  const exitCode = await service.exited
  stop = true
  await clients

  const before = outcomes.filter(o => o.sentBeforeSignal)
  const answered = outcomes.filter(o => o.status !== undefined)
  t.ok(before.length >= 200, `${before.length} requests sent before the signal`)
  t.same(before.filter(o => o.error !== undefined), [], 'every request sent before the signal got a response (no reset, no refusal)')
  t.same(answered.filter(o => o.status === undefined || o.status < 200 || o.status >= 300), [], `all ${answered.length} answered requests are 2xx (no 503 while closing)`)
  const afterErrors = new Set(outcomes.filter(o => !o.sentBeforeSignal && o.error !== undefined).map(o => o.error))
  t.comment(`after the signal: ${outcomes.filter(o => !o.sentBeforeSignal && o.status !== undefined).length} answered, errors ${[...afterErrors].join(', ') || 'none'}`)
  t.equal(exitCode, 0, 'the process exits 0')
})

t.test('SIGTERM: a request in flight completes while new connections are refused', async t => {
  const service = await startWithUser(t)
  const { body, headers } = formBody({ username: 'alice', password: PASSWORD })

  // A request whose body is still being uploaded is in flight for the server.
  const socket = net.connect({ host: '127.0.0.1', port: service.port })
  await new Promise(resolve => socket.once('connect', resolve))
  let response = ''
  socket.on('data', (chunk: Buffer) => { response += chunk.toString() })
  const closed = new Promise(resolve => socket.once('close', resolve))
  socket.write(`POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${headers['content-type']}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 10)}`)
  await sleep(200)

  service.child.kill('SIGTERM')
  let refused = false
  for (let i = 0; i < 100 && !refused; i++) {
    try {
      await request(`${service.baseUrl}/health/live`, { timeoutMs: 2000 })
      await sleep(50)
    } catch (err) {
      refused = (err as NodeJS.ErrnoException).code === 'ECONNREFUSED'
    }
  }
  t.ok(refused, 'new connections are refused after the signal')
  t.equal(service.child.exitCode, null, 'the process waits for the request in flight')

  socket.write(body.slice(10))
  await closed
  t.match(response, /^HTTP\/1\.1 200 /, 'the request in flight completes with 200')
  t.match(response, /\r\nconnection: close\r\n/i, 'and tells the client the connection closes')
  t.match(response, /"access_token"/)
  t.equal(await service.exited, 0, 'the process exits 0')
})
