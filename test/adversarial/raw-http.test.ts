import net from 'node:net'
import t from 'tap'
import { build } from '../helper.js'
import { listen } from '../clients/listen.js'

/**
 * Requests no HTTP client library would send, written to a socket: the
 * answers are 4xx with the standard body, from Fastify's router and from
 * Node's HTTP parser (the clientErrorHandler) alike.
 */
async function exchange (port: number, request: string | Buffer): Promise<{ status: number, body: string }> {
  return await new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    let answer = ''
    socket.setTimeout(10_000, () => { socket.destroy(new Error('no answer')) })
    socket.on('data', chunk => {
      answer += chunk.toString('latin1')
      const head = answer.indexOf('\r\n\r\n')
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(answer)?.[1] ?? 0)
      if (head >= 0 && answer.length - head - 4 >= length) socket.end()
    })
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)
      const head = answer.indexOf('\r\n\r\n')
      resolve({ status, body: head < 0 ? '' : answer.slice(head + 4) })
    })
    socket.on('error', reject)
    socket.write(request)
  })
}

const form = 'Content-Type: application/x-www-form-urlencoded\r\n'
const cases: Array<[string, string | Buffer, number]> = [
  ['a Latin-1 token', 'GET /users/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xe9\xe9\r\n\r\n', 401],
  ['a UTF-8 token', Buffer.from('GET /users/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer é.é.é\r\n\r\n', 'utf8'), 401],
  ['two Authorization headers', 'GET /users/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\nAuthorization: Bearer b\r\n\r\n', 401],
  ['a Basic credential on a Bearer route', 'GET /users/me HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YWxpY2U6cHc=\r\n\r\n', 401],
  ['broken chunked encoding', `POST /token HTTP/1.1\r\nHost: x\r\n${form}Transfer-Encoding: chunked\r\n\r\nzz\r\n`, 400],
  ['Content-Length and Transfer-Encoding together', `POST /token HTTP/1.1\r\nHost: x\r\n${form}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400],
  ['a truncated JSON body', 'POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 3\r\n\r\n{"a', 400],
  ['broken percent-encoding in the path', 'GET /users/%E0%A4%A HTTP/1.1\r\nHost: x\r\n\r\n', 400],
  ['an over-long path parameter', `GET /users/${'a'.repeat(300)} HTTP/1.1\r\nHost: x\r\n\r\n`, 414],
  ['an unknown method', 'BREW /token HTTP/1.1\r\nHost: x\r\n\r\n', 400],
  ['a 20 KB header', `GET /users/me HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
  ['a 20 KB form body', `POST /token HTTP/1.1\r\nHost: x\r\n${form}Content-Length: 20000\r\n\r\n${'a='.padEnd(20_000, 'b')}`, 413],
  ['a NUL in the request line', 'GET /users/me\u0000 HTTP/1.1\r\nHost: x\r\n\r\n', 400],
  ['a bare LF header block (request smuggling material)', 'GET /users/me HTTP/1.1\nHost: x\nAuthorization: Bearer a\n\n', 400]
]

t.test('malformed and hostile HTTP requests get a 4xx with the standard body', async t => {
  const app = await build(t)
  const { port } = new URL(await listen(app))
  for (const [name, request, status] of cases) {
    const answer = await exchange(Number(port), request)
    t.equal(answer.status, status, `${name}: ${status}`)
    let body: Record<string, unknown> = {}
    try { body = JSON.parse(answer.body) } catch {}
    t.same(Object.keys(body).sort(), ['error', 'error_description'], `${name}: standard body`, { body: answer.body })
  }
  const health = await fetch(`http://127.0.0.1:${port}/health/live`)
  t.equal(health.status, 200, 'the service still answers')
})
