import fp from 'fastify-plugin'
import { openStore, type Store } from '../src/store/store.js'

declare module 'fastify' {
  interface FastifyInstance {
    store: Store
  }
}

/** Opens the database (SQLite or PostgreSQL), migrates it, and closes it with the app. */
export default fp(async (app) => {
  const store = await openStore({
    databaseUrl: app.config.databaseUrl,
    dataDir: app.config.dataDir,
    poolSize: app.config.databasePoolSize,
    sessionCacheSize: app.config.authCacheSize,
    postgresSessionCache: app.config.postgresSessionCache,
    onSessionCacheListening: (listening, err) => {
      if (listening) app.log.info('session cache on: listening for session changes')
      else app.log.warn({ err: { message: err?.message } }, 'session cache off: its listening connection was lost; every request reads the database until it is back')
    },
    onConnectionError: (err) => { app.log.warn({ err: { message: err.message } }, 'database connection lost') }
  })
  app.decorate('store', store)
  app.addHook('onClose', async () => { await store.close() })
  app.log.info({ store: store.dialect, location: store.location }, 'store ready')
}, { name: 'store', dependencies: ['config'], fastify: '5.x' })
