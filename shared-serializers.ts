import { SerializerSelector } from '@fastify/fast-json-stringify-compiler'
import type { FastifyServerOptions } from 'fastify'

type SerializerFactory = NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildSerializer']>
type Serializer = ReturnType<ReturnType<SerializerFactory>>

/** The code generation runs when the first response with that schema is sent, not at start-up. */
function compiledOnFirstUse (compile: () => Serializer): Serializer {
  let serialize: Serializer | undefined
  return doc => (serialize ??= compile())(doc)
}

/**
 * Fastify's own serializer factory, with one serializer per distinct response
 * schema instead of one per route and status code, each compiled when it is
 * first used. Most of our responses are the one error body (`$ref:
 * ErrorResponse#` with a route's own description): the 280 compilations
 * Fastify made at start-up are 37 distinct schemas, and fast-json-stringify's
 * code generation was a fifth of start-up.
 *
 * Fastify calls the factory once per plugin scope, with the shared schemas
 * (`addSchema`) that scope sees; serializers are shared between calls with the
 * same shared schemas and options, and their key is the whole route schema:
 * two routes share a serializer only when their schemas are the same JSON. A
 * schema with its own `$id` is compiled as Fastify would, uncached, because
 * the stock compiler treats it specially.
 */
export function sharedSerializers (): SerializerFactory {
  const stock = SerializerSelector()
  const bySharedSchemas = new Map<string, Map<string, Serializer>>()
  return (externalSchemas, options) => {
    const compile = stock(externalSchemas, options)
    const context = JSON.stringify([externalSchemas, options])
    let compiled = bySharedSchemas.get(context)
    if (compiled === undefined) {
      compiled = new Map()
      bySharedSchemas.set(context, compiled)
    }
    return route => {
      const schema = route.schema as { $id?: unknown } | undefined
      if (schema === undefined || schema.$id !== undefined) return compile(route)
      const key = JSON.stringify(schema)
      let serializer = compiled.get(key)
      if (serializer === undefined) {
        serializer = compiledOnFirstUse(() => compile(route))
        compiled.set(key, serializer)
      }
      return serializer
    }
  }
}
