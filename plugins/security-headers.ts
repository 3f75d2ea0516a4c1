import fp from 'fastify-plugin'
import helmet, { type HelmetOptions } from 'helmet'

const HSTS = 'max-age=31536000; includeSubDomains'

/**
 * Runs helmet once, at start, against a stand-in response and returns the
 * headers it sets. With our static configuration they never vary per request,
 * and building them once keeps them off the hot path (@fastify/helmet ran the
 * whole middleware chain again for every request: ~7 % of the CPU of a
 * GET /users/me in the benchmark profile).
 */
function helmetHeaders (options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {}
  const response = {
    setHeader: (name: string, value: unknown) => { headers[name.toLowerCase()] = String(value) },
    removeHeader: (name: string) => { delete headers[name.toLowerCase()] },
    getHeader: (name: string) => headers[name.toLowerCase()]
  }
  let failure: unknown
  helmet(options)({ method: 'GET', headers: {} } as never, response as never, (err?: unknown) => { failure = err })
  if (failure !== undefined) throw failure instanceof Error ? failure : new Error(String(failure))
  return headers
}

/**
 * helmet's headers, set for an API: every response here is JSON (or empty),
 * never a page, so the CSP is OWASP's for REST services, `default-src 'none';
 * frame-ancestors 'none'` (nothing may load, nothing may frame it; helmet's
 * default policy is written for HTML pages), and frames are denied outright.
 * nosniff, the referrer policy, the cross-origin policies and the rest are
 * helmet's defaults. HSTS is only sent over TLS, or behind a trusted proxy that
 * says the client used https: over plain HTTP it means nothing. Swagger UI's
 * pages under /docs set their own page CSP (plugins/swagger.ts), which replaces
 * this one there.
 * @see https://helmetjs.github.io/
 * @see https://cheatsheetseries.owasp.org/cheatsheets/REST_Security_Cheat_Sheet.html#security-headers
 */
export default fp(async (app) => {
  const headers = helmetHeaders({
    hsts: false,
    crossOriginEmbedderPolicy: false,
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    xFrameOptions: { action: 'deny' }
  })
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(headers)
    if (request.protocol === 'https') reply.header('strict-transport-security', HSTS)
    done()
  })
}, { name: 'security-headers', dependencies: ['config'], fastify: '5.x' })
