import fp from 'fastify-plugin'
import { createPasswordResetService, type PasswordResetService } from '../src/account/password-reset.js'

declare module 'fastify' {
  interface FastifyInstance {
    passwordReset: PasswordResetService
  }
}

/**
 * The password-reset service (src/account/password-reset.ts). Its requests
 * finish in the background after the answer: closing the app waits for them
 * before the mail worker and the store close (onClose hooks run in reverse
 * order of registration, and this plugin registers after both).
 */
export default fp(async (app) => {
  const log = app.log.child({ component: 'password-reset' })
  const service = createPasswordResetService({
    store: app.store,
    hasher: app.passwordHasher,
    counters: app.counters,
    mail: app.mail,
    limits: app.config.account.passwordResetLimits,
    ttlSeconds: app.config.account.passwordResetTtlSeconds,
    resetUrl: app.config.account.resetUrl,
    publicUrl: app.config.publicUrl,
    onError: (err) => { log.error({ err: { message: (err as Error).message, name: (err as Error).name } }, 'password reset request failed: no mail was sent') }
  })
  app.decorate('passwordReset', service)
  app.addHook('onClose', async () => { await service.settled() })
}, { name: 'password-reset', dependencies: ['config', 'store', 'passwords', 'counters', 'mail'], fastify: '5.x' })
