import fp from 'fastify-plugin'
import { createPasswordHasher, type PasswordHasher } from '../src/passwords/password-hasher.js'

declare module 'fastify' {
  interface FastifyInstance {
    passwordHasher: PasswordHasher
  }
}

export default fp(async (app) => {
  const { passwords } = app.config
  app.decorate('passwordHasher', await createPasswordHasher({
    scheme: passwords.scheme,
    cost: passwords.bcryptCost,
    argon2: passwords.argon2,
    concurrency: passwords.hashConcurrency,
    reservedSlots: passwords.hashReservedSlots,
    queueMax: passwords.hashQueueMax,
    queueMaxPerSource: passwords.hashQueueMaxPerIp,
    queueTimeoutMs: passwords.hashQueueTimeoutMs
  }))
}, { name: 'passwords', dependencies: ['config'], fastify: '5.x' })
