import t from 'tap'
import { build } from '../helper.js'

/**
 * Found with Chromium (issue 7 item 3): Swagger UI's own CSP blocked its
 * inline styles and carried upgrade-insecure-requests. Styles are relaxed on
 * the docs page only; scripts stay locked down.
 */
t.test('the /docs CSP lets Swagger UI style itself and call a plain-HTTP instance, and still forbids inline scripts', async t => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: '/docs/' })
  t.equal(res.statusCode, 200)
  const csp = String(res.headers['content-security-policy'])
  t.match(csp, /style-src 'self' https: 'unsafe-inline'/)
  t.notMatch(csp, /upgrade-insecure-requests/)
  t.match(csp, /script-src 'self'/)
  t.notMatch(csp, /script-src[^;]*unsafe-inline/)
  t.match(csp, /script-src-attr 'none'/)
  // Issue 14 item 5: Swagger UI's fetches (Authorize, Try it out) go to the page's own origin,
  // since the document's server is relative; connect-src (or default-src standing in) allows that and no more.
  const connect = /(?:^|;)\s*connect-src ([^;]*)/.exec(csp)?.[1] ?? /(?:^|;)\s*default-src ([^;]*)/.exec(csp)?.[1]
  t.equal(connect?.trim(), "'self'", 'the docs page may fetch from its own origin only')
})
