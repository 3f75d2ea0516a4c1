import fp from 'fastify-plugin'
import { createEmailVerification, type EmailVerification } from '../src/account/email-verification.js'

declare module 'fastify' {
  interface FastifyInstance {
    emailVerification: EmailVerification
  }
}

/** Email verification (src/account/email-verification.ts) over the store and the mail outbox. */
export default fp(async (app) => {
  const { account, publicUrl } = app.config
  app.decorate('emailVerification', createEmailVerification({
    store: app.store,
    mail: app.mail,
    settings: { verifyUrl: account.verifyUrl, confirmUrl: `${publicUrl}/email-verification/confirm`, ttlSeconds: account.emailVerificationTtlSeconds }
  }))
}, { name: 'email-verification', dependencies: ['config', 'store', 'mail'], fastify: '5.x' })
