import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { onlyErrorResponses } from '../schemas/error.js'
import { temporarilyUnavailable } from '../src/errors.js'

const Status = Type.Object({ status: Type.String() }, { additionalProperties: false, description: 'Healthy' })

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/health/live', {
    config: { rateLimit: false },
    // Not rate-limited, and no parameters: the only client error left is one answered before routing (431).
    schema: {
      operationId: 'getLiveness',
      security: [],
      tags: ['operations'],
      summary: 'Liveness: the process is serving',
      response: { 200: Status, ...onlyErrorResponses(431, 500) }
    }
  }, async () => ({ status: 'ok' }))

  app.get('/health/ready', {
    config: { rateLimit: false },
    schema: {
      operationId: 'getReadiness',
      security: [],
      tags: ['operations'],
      summary: 'Readiness: the store answers',
      response: { 200: Status, ...onlyErrorResponses(431, 500, 503) }
    }
  }, async (request) => {
    try {
      await app.store.ping()
    } catch (err) {
      request.log.warn({ err: { message: (err as Error).message } }, 'store not ready')
      throw temporarilyUnavailable('The store is not reachable', 2)
    }
    return { status: 'ok' }
  })
}

export default routes
