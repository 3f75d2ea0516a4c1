import fp from 'fastify-plugin'
import type { CounterStore } from '../src/auth/login-throttle.js'
import { createMemoryCounters } from '../src/auth/memory-counters.js'

declare module 'fastify' {
  interface FastifyInstance {
    counters: CounterStore
  }
}

/** Login-failure counters: in-process, or shared through Redis when REDIS_URL is set. */
export default fp(async (app) => {
  app.decorate('counters', createMemoryCounters())
}, { name: 'counters', dependencies: ['config'], fastify: '5.x' })
