import fp from 'fastify-plugin'
import { createClientRegistry, type ClientRegistry } from '../src/clients/client-registry.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Registered OAuth clients: the admin API's rules (src/clients/client-registry.ts). */
    clientRegistry: ClientRegistry
  }
}

export default fp(async (app) => {
  app.decorate('clientRegistry', createClientRegistry({ store: app.store }))
}, { name: 'client-registry', dependencies: ['store'], fastify: '5.x' })
