import http from 'node:http'
import https from 'node:https'

export interface HttpResponse {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
  json: <T = Record<string, unknown>>() => T
}

export interface HttpRequest {
  method?: string
  headers?: Record<string, string>
  body?: string
  agent?: http.Agent
  /** Trusted CA certificate(s) for https URLs. */
  ca?: string | Buffer
  /** The request fails (rejects) if no complete response arrives within this time. */
  timeoutMs?: number
}

/**
 * A small node:http(s) client: the fault tests need keep-alive agents, custom
 * CAs and a hard timeout, and must see connection errors (ECONNRESET,
 * ECONNREFUSED) as they are.
 */
export async function request (url: string, options: HttpRequest = {}): Promise<HttpResponse> {
  const target = new URL(url)
  const transport = target.protocol === 'https:' ? https : http
  const body = options.body
  const headers = { ...options.headers }
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body))
  return await new Promise((resolve, reject) => {
    const req = transport.request(target, {
      method: options.method ?? 'GET',
      headers,
      agent: options.agent,
      ...(options.ca === undefined ? {} : { ca: options.ca })
    }, res => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', reject)
      res.on('end', () => {
        clearTimeout(timer)
        const text = Buffer.concat(chunks).toString('utf8')
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json: () => JSON.parse(text) })
      })
    })
    const timer = setTimeout(() => { req.destroy(new Error(`no response within ${options.timeoutMs} ms`)) }, options.timeoutMs ?? 10_000)
    req.on('error', err => { clearTimeout(timer); reject(err) })
    req.end(body)
  })
}

export function formBody (fields: Record<string, string>): { body: string, headers: Record<string, string> } {
  return { body: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } }
}

export function jsonBody (value: unknown): { body: string, headers: Record<string, string> } {
  return { body: JSON.stringify(value), headers: { 'content-type': 'application/json' } }
}
