import type { FastifyInstance } from 'fastify'
import Fastify from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Config } from './src/config.js'
import type { KeySet } from './src/tokens/keys.js'
import { fastifyTrustProxy } from './src/trust-proxy.js'
import { HealthProbesAtDebug, loggerOptions, requestLogger, type LogStream } from './logger.js'
import { sharedSerializers } from './shared-serializers.js'
import adminBootstrapPlugin from './plugins/admin-bootstrap.js'
import auditPlugin from './plugins/audit.js'
import authPlugin from './plugins/auth.js'
import clientRegistryPlugin from './plugins/client-registry.js'
import clientAuthPlugin from './plugins/client-auth.js'
import configPlugin from './plugins/config.js'
import cookiesPlugin from './plugins/cookies.js'
import corsPlugin from './plugins/cors.js'
import countersPlugin from './plugins/counters.js'
import errorHandlerPlugin, { sendError, toServiceError } from './plugins/error-handler.js'
import gracefulClosePlugin from './plugins/graceful-close.js'
import jwtPlugin from './plugins/jwt.js'
import emailVerificationPlugin from './plugins/email-verification.js'
import mailPlugin from './plugins/mail.js'
import metricsPlugin from './plugins/metrics.js'
import mfaPlugin from './plugins/mfa.js'
import passwordResetPlugin from './plugins/password-reset.js'
import passwordsPlugin from './plugins/passwords.js'
import rateLimitPlugin from './plugins/rate-limit.js'
import redisPlugin from './plugins/redis.js'
import refreshCookiePlugin from './plugins/refresh-cookie.js'
import securityHeadersPlugin from './plugins/security-headers.js'
import servicesPlugin from './plugins/services.js'
import storePlugin from './plugins/store.js'
import swaggerPlugin from './plugins/swagger.js'
import validationPlugin from './plugins/validation.js'
import clientAdminRoutes from './routes/clients/admin.js'
import emailVerificationRoutes from './routes/email-verification.js'
import healthRoutes from './routes/health.js'
import introspectRoutes from './routes/introspect.js'
import logoutRoutes from './routes/logout.js'
import passwordResetRoutes from './routes/password-reset.js'
import tokenRoutes from './routes/token.js'
import adminRoutes from './routes/users/admin.js'
import importRoutes from './routes/users/import.js'
import meRoutes from './routes/users/me.js'
import mfaRoutes from './routes/users/mfa.js'
import sessionRoutes from './routes/users/sessions.js'
import wellKnownRoutes from './routes/well-known.js'

export interface BuildOptions {
  config: Config
  keys: KeySet
  /** false silences logs (tests); otherwise pino at the configured level. */
  logger?: boolean
  /** Where pino writes (default stdout); tests pass a stream to inspect the log lines. */
  logStream?: LogStream
  https?: { cert: Buffer, key: Buffer }
}

/** SPEC: bodies over 16 KB are refused with 413. */
const BODY_LIMIT = 16 * 1024

/**
 * Builds the whole service: external plugins, then our decorators, then the
 * routes. server.ts calls this and listens; tests call it and use inject().
 */
export async function buildApp (options: BuildOptions): Promise<FastifyInstance> {
  const { config } = options
  const app = Fastify({
    logger: options.logger === false ? false : loggerOptions(config.logLevel, options.logStream),
    ...(options.logger === false ? {} : { childLoggerFactory: requestLogger, logController: new HealthProbesAtDebug() }),
    https: options.https ?? null,
    bodyLimit: BODY_LIMIT,
    trustProxy: fastifyTrustProxy(config.trustProxy),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 256 },
    requestIdHeader: false,
    schemaController: { compilersFactory: { buildSerializer: sharedSerializers() } },
    // Headers and keep-alive sized for a service behind a load balancer.
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    keepAliveTimeout: 72_000,
    return503OnClosing: false,
    // The router rejects bad percent-encoding (400) and over-long path parameters (414)
    // before any handler runs: render those with the one error body too.
    frameworkErrors: (err, _request, reply) => { sendError(reply, toServiceError(err)) },
    clientErrorHandler: (err, socket) => {
      const status = (err as NodeJS.ErrnoException).code === 'HPE_HEADER_OVERFLOW' ? 431 : 400
      const body = JSON.stringify(status === 431
        ? { error: 'invalid_request', error_description: 'Request headers too large' }
        : { error: 'invalid_request', error_description: 'Malformed HTTP request' })
      if (socket.writable) {
        socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
      }
    }
  }).withTypeProvider<TypeBoxTypeProvider>()

  await app.register(validationPlugin)
  await app.register(configPlugin, { config, keys: options.keys })
  await app.register(errorHandlerPlugin)
  await app.register(gracefulClosePlugin)
  await app.register(corsPlugin)
  await app.register(securityHeadersPlugin)
  await app.register(redisPlugin)
  await app.register(rateLimitPlugin)
  await app.register(cookiesPlugin)
  await app.register(refreshCookiePlugin)
  await app.register(swaggerPlugin)

  await app.register(storePlugin)
  await app.register(countersPlugin)
  await app.register(passwordsPlugin)
  await app.register(jwtPlugin)
  await app.register(mfaPlugin)
  await app.register(servicesPlugin)
  await app.register(clientRegistryPlugin)
  // Nothing is recorded unless someone can scrape it: no per-request metrics work without METRICS_PORT.
  if (config.metricsPort !== undefined) await app.register(metricsPlugin)
  await app.register(auditPlugin)
  await app.register(mailPlugin)
  await app.register(emailVerificationPlugin)
  await app.register(authPlugin)
  await app.register(clientAuthPlugin)
  await app.register(adminBootstrapPlugin)
  await app.register(passwordResetPlugin)

  await app.register(tokenRoutes)
  await app.register(introspectRoutes)
  await app.register(logoutRoutes)
  await app.register(meRoutes)
  await app.register(emailVerificationRoutes)
  await app.register(passwordResetRoutes)
  await app.register(sessionRoutes)
  await app.register(mfaRoutes)
  await app.register(adminRoutes)
  await app.register(importRoutes)
  await app.register(clientAdminRoutes)
  await app.register(wellKnownRoutes)
  await app.register(healthRoutes)
  await app.ready()
  return app
}
