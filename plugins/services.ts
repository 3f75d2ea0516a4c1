import fp from 'fastify-plugin'
import { createAuthService, type AuthService } from '../src/auth/auth-service.js'
import { LoginThrottle } from '../src/auth/login-throttle.js'
import { createMfaService, type MfaService } from '../src/mfa/mfa-service.js'
import { createUserService, type UserService } from '../src/users/user-service.js'

declare module 'fastify' {
  interface FastifyInstance {
    authService: AuthService
    userService: UserService
    loginThrottle: LoginThrottle
    mfa: MfaService
  }
}

/** Builds the domain services from the store, hasher, token issuer (plugins/jwt.ts) and counters. */
export default fp(async (app) => {
  const throttle = new LoginThrottle(app.counters, app.config.loginLimits)
  app.decorate('loginThrottle', throttle)
  const mfa = createMfaService({ store: app.store, box: app.mfaSecretBox, throttle, issuer: app.config.mfa.issuer })
  app.decorate('mfa', mfa)
  app.decorate('authService', createAuthService({
    config: app.config,
    store: app.store,
    hasher: app.passwordHasher,
    tokens: app.accessTokens,
    throttle,
    // Looked up when called: plugins/email-verification.ts is registered after the mail outbox, which comes after this plugin.
    // The refusal is answered even when its mail cannot be written (the store failing): the user can retry later.
    onUnverifiedLogin: async (user) => {
      await app.emailVerification.sendAfterRefusedLogin(user)
        .catch((err: Error) => { app.log.warn({ err: { message: err.message } }, 'no verification mail after a refused login') })
    },
    mfa
  }))
  app.decorate('userService', createUserService({ store: app.store, hasher: app.passwordHasher, throttle }))
}, { name: 'services', dependencies: ['config', 'store', 'passwords', 'jwt', 'counters', 'mfa'], fastify: '5.x' })
