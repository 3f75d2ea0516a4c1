import fp from 'fastify-plugin'
import { createPasswordHasher, type PasswordHasher } from '../src/passwords/password-hasher.js'

declare module 'fastify' {
  interface FastifyInstance {
    passwordHasher: PasswordHasher
  }
}

export default fp(async (app) => {
  const { passwords } = app.config
  const hasher = await createPasswordHasher({
    scheme: passwords.scheme,
    cost: passwords.bcryptCost,
    argon2: passwords.argon2,
    concurrency: passwords.hashConcurrency,
    reservedSlots: passwords.hashReservedSlots,
    queueMax: passwords.hashQueueMax,
    queueMaxPerSource: passwords.hashQueueMaxPerIp,
    queueTimeoutMs: passwords.hashQueueTimeoutMs,
    nice: passwords.hashNice,
    onNiceRefused: () => {
      app.log.warn({ hashNice: passwords.hashNice }, 'the hashing threads could not lower their priority (setpriority was refused): a login flood competes with other requests at full priority')
    }
  })
  app.decorate('passwordHasher', hasher)
  app.addHook('onClose', async () => { await hasher.close() })
}, { name: 'passwords', dependencies: ['config'], fastify: '5.x' })
