import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'

export interface CountingProxy {
  url: string
  /** Requests seen, by path. */
  count: (path: string) => number
}

/**
 * A plain HTTP forwarder in front of gatehouse that counts requests by path,
 * so a test can see how often an example really fetches the JWKS.
 */
export async function countingProxy (t: Test, target: () => string): Promise<CountingProxy> {
  const counts = new Map<string, number>()
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/'
    counts.set(path, (counts.get(path) ?? 0) + 1)
    const upstream = http.request(`${target()}${path}`, { method: req.method, headers: req.headers }, reply => {
      res.writeHead(reply.statusCode ?? 502, reply.headers)
      reply.pipe(res)
    })
    upstream.once('error', () => { res.writeHead(502).end() })
    req.pipe(upstream)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => { await new Promise(resolve => server.close(resolve)) })
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, count: path => counts.get(path) ?? 0 }
}
