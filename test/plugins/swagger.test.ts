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
