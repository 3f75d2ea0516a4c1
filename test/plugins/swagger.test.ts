import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { ERROR_CODES } from '../../schemas/error.js'
import { build } from '../helper.js'
import { ROOT } from '../child-process.js'

interface Operation { operationId?: string, security?: unknown[], responses: Record<string, unknown>, requestBody?: { content: Record<string, { schema: { properties: Record<string, { enum?: string[] }> } }> } }

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
    'GET /users/me', 'PATCH /users/me', 'POST /users/me/email/verify', 'POST /email-verification/confirm', 'PUT /users/me/password', 'GET /users/me/sessions', 'DELETE /users/me/sessions', 'DELETE /users/me/sessions/{id}',
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

t.test('/docs/json: operation names for generated clients, public operations, enums, servers, licence', async t => {
  const app = await build(t, { PUBLIC_URL: 'https://auth.example.com' })
  const doc = (await app.inject({ method: 'GET', url: '/docs/json', headers: { host: 'evil.example' } })).json()
  const paths = doc.paths as Record<string, Record<string, Operation>>
  const operation = (route: string): Operation => {
    const [method = '', path = ''] = route.split(' ')
    const found = paths[path]?.[method.toLowerCase()]
    if (found === undefined) throw new Error(`${route} is not documented`)
    return found
  }
  const names: Record<string, string> = {
    'POST /token': 'login',
    'POST /revoke': 'revokeToken',
    'POST /introspect': 'introspectToken',
    'POST /logout': 'logout',
    'GET /users/me': 'getMe',
    'PATCH /users/me': 'updateMe',
    'POST /users/me/email/verify': 'sendEmailVerification',
    'POST /email-verification/confirm': 'confirmEmailVerification',
    'PUT /users/me/password': 'changePassword',
    'GET /users/me/sessions': 'listSessions',
    'DELETE /users/me/sessions/{id}': 'revokeSession',
    'DELETE /users/me/sessions': 'revokeAllSessions',
    'POST /password-reset': 'requestPasswordReset',
    'POST /password-reset/confirm': 'confirmPasswordReset',
    'GET /users/me/mfa': 'getMfaStatus',
    'POST /users/me/mfa/totp': 'startTotpEnrolment',
    'POST /users/me/mfa/totp/confirm': 'confirmTotpEnrolment',
    'DELETE /users/me/mfa/totp': 'disableTotp',
    'POST /users/me/mfa/recovery-codes': 'regenerateRecoveryCodes',
    'POST /users': 'createUser',
    'GET /users': 'listUsers',
    'GET /users/{username}': 'getUser',
    'PATCH /users/{username}': 'updateUser',
    'DELETE /users/{username}': 'deleteUser',
    'POST /users/import': 'importUsers',
    'POST /clients': 'createClient',
    'GET /clients': 'listClients',
    'GET /clients/{client_id}': 'getClient',
    'PATCH /clients/{client_id}': 'updateClient',
    'DELETE /clients/{client_id}': 'deleteClient',
    'POST /clients/{client_id}/secret': 'rotateClientSecret',
    'GET /.well-known/jwks.json': 'getJwks',
    'GET /.well-known/oauth-authorization-server': 'getAuthorizationServerMetadata',
    'GET /health/live': 'getLiveness',
    'GET /health/ready': 'getReadiness'
  }
  const all = Object.values(paths).flatMap(operations => Object.values(operations))
  t.equal(all.length, Object.keys(names).length, 'every operation is named below')
  for (const [route, name] of Object.entries(names)) t.equal(operation(route).operationId, name, `${route} is ${name}`)

  for (const route of ['POST /token', 'POST /revoke']) {
    t.same(operation(route).security, [{}, { clientBasic: [] }], `${route}: no credentials (the anonymous client) or a client's HTTP Basic`)
  }
  t.same(operation('POST /introspect').security, [{ clientBasic: [] }, { OAuth2ClientCredentials: ['introspect'] }], '/introspect: a client by Basic, or its client-credentials token')
  t.same(doc.components.securitySchemes.OAuth2ClientCredentials.flows, { clientCredentials: { tokenUrl: '/token', scopes: doc.components.securitySchemes.OAuth2PasswordBearer.flows.password.scopes } }, 'the clientCredentials flow, tokenUrl relative')
  t.same(doc.components.securitySchemes.clientBasic, { type: 'http', scheme: 'basic', description: doc.components.securitySchemes.clientBasic?.description }, 'clientBasic is HTTP Basic')
  for (const route of ['GET /.well-known/jwks.json', 'GET /.well-known/oauth-authorization-server', 'GET /health/live', 'GET /health/ready', 'POST /email-verification/confirm', 'POST /password-reset', 'POST /password-reset/confirm']) {
    t.same(operation(route).security, [], `${route} is public: security: []`)
  }
  for (const [route] of Object.entries(names)) {
    t.ok(Object.keys(operation(route).responses).some(status => /^4\d\d$/.test(status)), `${route} documents a 4xx response`)
  }

  const form = (route: string) => operation(route).requestBody?.content['application/x-www-form-urlencoded']?.schema.properties
  t.same(form('POST /token')?.grant_type?.enum, ['password', 'refresh_token', 'client_credentials', 'urn:gatehouse:params:oauth:grant-type:mfa-otp'], 'grant_type is an enum')
  t.equal(doc.components.schemas.ErrorResponse.properties.mfa_token?.type, 'string', 'the error body documents mfa_token (mfa_required)')
  t.same(form('POST /revoke')?.token_type_hint?.enum, ['access_token', 'refresh_token'], 'token_type_hint is an enum')
  t.same(doc.components.schemas.ErrorResponse.properties.error.enum, [...ERROR_CODES], 'the error codes are an enum')
  t.ok(ERROR_CODES.includes('conflict'), 'conflict among them')

  t.same(doc.servers, [{ url: '/' }], 'the server is relative: neither PUBLIC_URL nor the Host header')
  t.notMatch(JSON.stringify(doc), /evil\.example/, 'nothing of the Host header gets into the document')
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string, license: string }
  t.same(doc.info.license, { name: pkg.license }, 'the licence is package.json\'s')
  t.equal(doc.info.version, pkg.version, 'so is the version')
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
