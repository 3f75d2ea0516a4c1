import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
// @ts-expect-error: the bench is plain JavaScript without type declarations
import { loadMe, startLogins } from '../../bench/lib/load.mjs'
// @ts-expect-error: as above
import { stopAll } from '../../bench/lib/processes.mjs'

// The bench's load generator runs autocannon in child processes of its own
// (bench/lib/load-client.mjs), kept from one run to the next.

interface Summary { ok: number, non2xx: number, errors: number, rps: number }

t.test('runs GET /users/me in a child process, cycling through the tokens, and reuses the client', async t => {
  const seen: string[] = []
  const clients = new Set<number>()
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    seen.push(request.headers.authorization ?? '')
    clients.add(request.socket.remotePort ?? 0)
    response.writeHead(request.url === '/users/me' ? 200 : 404).end('{}')
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => { await stopAll(); server.close() })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const first = await loadMe({ url, connections: 2, seconds: 1, tokens: ['a', 'b', 'c'] }) as Summary
  t.ok(first.ok > 0, 'answers were counted')
  t.equal(first.non2xx, 0)
  t.equal(first.errors, 0)
  t.same(new Set(seen), new Set(['Bearer a', 'Bearer b', 'Bearer c']), 'every token was sent')

  const before = seen.length
  const second = await loadMe({ url, connections: 1, seconds: 1, tokens: ['d'] }) as Summary
  t.ok(second.ok > 0)
  t.ok(seen.slice(before).every(header => header === 'Bearer d'), 'the second run sends its own tokens only')
})

t.test('two runs at once use two clients, and stop() ends a run early', async t => {
  let logins = 0
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    if (request.url === '/token') logins++
    response.writeHead(200).end('{}')
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => { await stopAll(); server.close() })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const started = performance.now()
  const long = startLogins({ url, connections: 1, seconds: 30, usernames: ['u'], password: 'p' })
  const me = await loadMe({ url, connections: 1, seconds: 1, tokens: ['x'] }) as Summary
  t.ok(me.ok > 0, 'a second run went on beside the first')
  long.stop()
  const summary = await long.done as Summary
  t.ok(performance.now() - started < 20_000, 'the 30 s run ended when stopped')
  t.ok(summary.ok > 0 && logins > 0, 'the logins were sent and counted')
})
