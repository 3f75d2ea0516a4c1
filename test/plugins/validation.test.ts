import Fastify, { type FastifyRequest } from 'fastify'
import t from 'tap'
import validationPlugin from '../../plugins/validation.js'
import { addUser, bearer, build, login, PASSWORD } from '../helper.js'

t.test('JSON bodies are not type-coerced: a string for a boolean or a number for a password is a 400', async t => {
  const app = await build(t, {}, config => { config.sessions.reauthMaxAgeSeconds = 3600 })
  await addUser(app, 'admin', { scopes: ['users:admin'] })
  await addUser(app, 'bob')
  const { access_token: token } = await login(app, 'admin')

  const patch = await app.inject({ method: 'PATCH', url: '/users/bob', headers: bearer(token), payload: { disabled: 'true' } })
  t.equal(patch.statusCode, 400)
  t.same(patch.json(), { error: 'invalid_request', error_description: 'body.disabled must be boolean' })
  t.equal((await app.userService.get('bob')).disabled, false, 'nothing changed')

  const change = await app.inject({ method: 'PUT', url: '/users/me/password', headers: bearer(token), payload: { current_password: PASSWORD, new_password: 12345678901 } })
  t.equal(change.statusCode, 400)
  t.equal(change.json().error, 'invalid_request')

  const ok = await app.inject({ method: 'PATCH', url: '/users/bob', headers: bearer(token), payload: { disabled: true } })
  t.equal(ok.statusCode, 200, 'the declared type is accepted')
})

t.test('query strings are still coerced: ?limit=2 is the integer 2, ?limit=abc is a 400', async t => {
  const app = await build(t)
  await addUser(app, 'admin', { scopes: ['users:admin'] })
  for (const name of ['carol', 'dave', 'erin']) await addUser(app, name)
  const { access_token: token } = await login(app, 'admin')
  const page = await app.inject({ method: 'GET', url: '/users?limit=2', headers: bearer(token) })
  t.equal(page.statusCode, 200)
  t.equal(page.json().users.length, 2)
  const bad = await app.inject({ method: 'GET', url: '/users?limit=abc', headers: bearer(token) })
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().error, 'invalid_request')
})

t.test('routes with the same schema share one validator, compiled on its first use; a body and a query string never share', async t => {
  const app = Fastify()
  await app.register(validationPlugin)
  const name = { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'], additionalProperties: false }
  const seen: Record<string, unknown> = {}
  const record = (route: string) => async (request: FastifyRequest) => {
    seen[route] = request.getValidationFunction(request.method === 'GET' ? 'querystring' : 'body')
    return { ok: true }
  }
  app.post('/a', { schema: { body: name } }, record('a'))
  app.post('/b', { schema: { body: structuredClone(name) } }, record('b'))
  app.get('/c', { schema: { querystring: name } }, record('c'))
  app.post('/d', { schema: { body: { ...name, properties: { n: { type: 'string' } } } } }, record('d'))
  t.teardown(() => app.close())

  for (const url of ['/a', '/b', '/d']) t.equal((await app.inject({ method: 'POST', url, payload: { n: url === '/d' ? 'x' : 1 } })).statusCode, 200, url)
  t.equal((await app.inject({ method: 'GET', url: '/c?n=1' })).statusCode, 200, 'the query string is coerced')
  t.equal((await app.inject({ method: 'POST', url: '/a', payload: { n: '1' } })).statusCode, 400, 'the body is not')
  t.equal(seen.a, seen.b, 'equal body schemas: one validator')
  t.not(seen.a, seen.c, 'the same schema for a query string: another (coercing) validator')
  t.not(seen.a, seen.d, 'another schema: another validator')
  const validate = seen.a as ((data: unknown) => boolean) & { errors?: unknown }
  t.equal(validate({ n: 'one' }), false)
  t.match(validate.errors, [{ instancePath: '/n', keyword: 'type' }], 'errors of the call just made')
  t.equal(validate({ n: 1 }), true)
})

t.test('a schema is compiled when first used: an app with a broken schema starts, and only that route fails', async t => {
  const app = Fastify()
  await app.register(validationPlugin)
  app.post('/broken', { schema: { body: { type: 'object', properties: { n: { $ref: 'nowhere#' } } } } }, async () => ({ ok: true }))
  app.post('/fine', { schema: { body: { type: 'object' } } }, async () => ({ ok: true }))
  t.teardown(() => app.close())
  await app.ready()
  t.equal((await app.inject({ method: 'POST', url: '/fine', payload: {} })).statusCode, 200)
  t.equal((await app.inject({ method: 'POST', url: '/broken', payload: { n: 1 } })).statusCode, 500, 'Ajv refuses the $ref on the first request')
})
