import t from 'tap'
import { build } from '../helper.js'

t.test('/docs/json: OpenAPI 3 with the password flow and every route', async t => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: '/docs/json' })
  t.equal(res.statusCode, 200)
  const doc = JSON.parse(res.body)
  t.match(doc.openapi, /^3\./)
  const scheme = doc.components.securitySchemes.OAuth2PasswordBearer
  t.equal(scheme.type, 'oauth2')
  t.equal(scheme.flows.password.tokenUrl, '/token')
  t.ok('users:admin' in scheme.flows.password.scopes)

  const documented = new Set<string>()
  for (const [path, operations] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
    for (const method of Object.keys(operations)) documented.add(`${method.toUpperCase()} ${path}`)
  }
  const expected = [
    'POST /token', 'POST /revoke', 'POST /logout',
    'GET /users/me', 'PUT /users/me/password', 'GET /users/me/sessions', 'DELETE /users/me/sessions', 'DELETE /users/me/sessions/{id}',
    'POST /users', 'GET /users', 'GET /users/{username}', 'PATCH /users/{username}', 'DELETE /users/{username}',
    'GET /health/live', 'GET /health/ready', 'GET /.well-known/jwks.json', 'GET /.well-known/oauth-authorization-server'
  ]
  for (const route of expected) t.ok(documented.has(route), `${route} is documented`)

  const admin = doc.paths['/users/{username}'].patch
  t.same(admin.security, [{ OAuth2PasswordBearer: ['users:admin'] }], 'admin routes declare their scope')
  t.ok(admin.responses['403'], 'and their 403')
  t.ok(doc.paths['/users/me'].get.responses['401'], '401 documented on protected routes')
  t.ok(doc.paths['/token'].post.requestBody.content['application/x-www-form-urlencoded'], '/token takes a form')
})

t.test('/docs serves Swagger UI', async t => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: '/docs/' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /text\/html/)
  t.match(res.body, /swagger/i)
})

t.test('a missing file under /docs/static/ is 404, not 405', async t => {
  const app = await build(t)
  for (const url of ['/docs/static/nope.js', '/docs/static/', '/docs/static/a/b.css']) {
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 404, url)
    t.equal(res.json().error, 'not_found', url)
    t.equal(res.headers.allow, undefined, `${url}: no Allow header`)
  }
  t.equal((await app.inject({ method: 'HEAD', url: '/docs/static/nope.js' })).statusCode, 404, 'HEAD too')
  const wrongMethod = await app.inject({ method: 'POST', url: '/docs/static/nope.js' })
  t.equal(wrongMethod.statusCode, 405, 'another method is still 405')
  t.equal(wrongMethod.headers.allow, 'GET')
  t.equal((await app.inject({ method: 'GET', url: '/docs/static/swagger-ui.css' })).statusCode, 200, 'a real file is served')
})

t.test('DOCS_ENABLED=false: /docs and /docs/json are 404, the API is unchanged', async t => {
  const app = await build(t, { DOCS_ENABLED: 'false' })
  for (const url of ['/docs', '/docs/json', '/docs/yaml', '/docs/static/swagger-ui.css', '/docs/static/index.html']) {
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 404, url)
    t.equal(res.json().error, 'not_found', url)
  }
  t.equal((await app.inject({ method: 'GET', url: '/users/me' })).statusCode, 401, 'routes still work (their shared error schema is registered)')
  t.equal((await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).statusCode, 200)
})
