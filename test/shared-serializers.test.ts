import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify'
import t from 'tap'
import { sharedSerializers } from '../shared-serializers.js'

function appWithSharedSerializers (): FastifyInstance {
  return Fastify({ schemaController: { compilersFactory: { buildSerializer: sharedSerializers() } } })
}

const item = { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } } }

t.test('equal response schemas share one serializer, across routes, status codes and plugin scopes', async t => {
  const app = appWithSharedSerializers()
  const seen: Record<string, unknown> = {}
  const record = (route: string, status: number) => async (_request: unknown, reply: FastifyReply) => {
    seen[route] = reply.getSerializationFunction(String(status))
    return reply.code(status).send({ id: 1, name: route, secret: 'never sent' })
  }
  app.get('/a', { schema: { response: { 200: item } } }, record('a', 200))
  app.get('/b', { schema: { response: { 201: structuredClone(item) } } }, record('b', 201))
  await app.register(async scope => {
    scope.get('/c', { schema: { response: { 200: structuredClone(item) } } }, record('c', 200))
  })
  app.get('/d', { schema: { response: { 200: { ...item, description: 'another' } } } }, record('d', 200))
  t.teardown(() => app.close())

  for (const route of ['a', 'b', 'c', 'd']) {
    const response = await app.inject(`/${route}`)
    t.same(response.json(), { id: 1, name: route }, `/${route}: only the declared properties`)
  }
  t.equal(seen.a, seen.b, 'another route and status code, the same schema: one serializer')
  t.equal(seen.a, seen.c, 'the same in an encapsulated scope')
  t.not(seen.a, seen.d, 'a schema that differs in anything: its own serializer')
})

t.test('scopes whose shared schemas differ never share a serializer', async t => {
  const app = appWithSharedSerializers()
  const withThing = (properties: object) => async (scope: FastifyInstance) => {
    scope.addSchema({ $id: 'Thing', type: 'object', properties })
    scope.get('/', { schema: { response: { 200: { $ref: 'Thing#' } } } }, async () => ({ a: 'A', b: 'B' }))
  }
  await app.register(withThing({ a: { type: 'string' } }), { prefix: '/one' })
  await app.register(withThing({ b: { type: 'string' } }), { prefix: '/two' })
  t.teardown(() => app.close())
  t.same((await app.inject('/one')).json(), { a: 'A' })
  t.same((await app.inject('/two')).json(), { b: 'B' })
})

t.test('a serializer is compiled when its first response is sent, not when the route is registered', async t => {
  const stock = sharedSerializers()(undefined, undefined)
  const route = { method: 'GET', url: '/', httpStatus: '200' }
  const broken = stock({ ...route, schema: { type: 'object', properties: { x: { $ref: 'Missing#' } } } })
  t.throws(() => broken({ x: 1 }), 'fast-json-stringify refuses the unresolvable $ref on the first use')
  const fine = stock({ ...route, schema: item })
  t.equal(fine({ id: 2, name: 'n', extra: true }), '{"id":2,"name":"n"}')
})

t.test('a schema with its own $id is compiled as Fastify would, each time', async t => {
  const compile = sharedSerializers()(undefined, undefined)
  const route = { method: 'GET', url: '/', httpStatus: '200' }
  const schema = { $id: 'Own', ...item }
  t.not(compile({ ...route, schema }), compile({ ...route, schema }))
  t.equal(compile({ ...route, schema })({ id: 3 }), '{"id":3}')
})
