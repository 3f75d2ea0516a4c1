import fp from 'fastify-plugin'
import { retryAtStart } from '../src/startup/retry-at-start.js'
import { redactUrlPassword } from '../src/startup/dependency-failure.js'
import { openStore, type Store, type StoreOptions } from '../src/store/store.js'

declare module 'fastify' {
  interface FastifyInstance {
    store: Store
  }
}

/**
 * Opens the database (SQLite or PostgreSQL), migrates it, and closes it with
 * the app. PostgreSQL is tried again with backoff for STARTUP_TIMEOUT_SECONDS,
 * so the service may start before it; an embedded file that cannot be opened
 * fails at once (waiting would not help).
 */
export default fp(async (app) => {
  const url = app.config.databaseUrl
  const options: StoreOptions = {
    databaseUrl: url,
    dataDir: app.config.dataDir,
    poolSize: app.config.databasePoolSize,
    sessionCacheSize: app.config.authCacheSize,
    postgresSessionCache: app.config.postgresSessionCache,
    onSessionCacheListening: (listening, err) => {
      if (listening) app.log.info('session cache on: listening for session changes')
      else app.log.warn({ err: { message: err?.message } }, 'session cache off: its listening connection was lost; every request reads the database until it is back')
    },
    onConnectionError: (err) => { app.log.warn({ err: { message: err.message } }, 'database connection lost') }
  }
  const store = url === undefined || url.startsWith('sqlite://')
    ? await openStore(options)
    : await retryAtStart(async () => await openStore(options), {
      dependency: { variable: 'DATABASE_URL', name: 'PostgreSQL', url, defaultPort: 5432 },
      timeoutMs: app.config.startupTimeoutSeconds * 1000,
      onRetry: ({ message, attempt, delayMs }) => {
        app.log.warn({ dependency: 'postgresql', url: redactUrlPassword(url), attempt, retry_in_ms: delayMs }, message)
      }
    })
  app.decorate('store', store)
  app.addHook('onClose', async () => { await store.close() })
  app.log.info({ store: store.dialect, location: store.location }, 'store ready')
}, { name: 'store', dependencies: ['config'], fastify: '5.x' })
