import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { listenForMetrics } from './plugins/metrics.js'
import { ConfigError, loadConfig, readEnvironment } from './src/config.js'
import { loadTlsMaterial } from './src/tls-files.js'
import { loadKeySet } from './src/tokens/keys.js'
import { listeningLine, prettyLogStream } from './logger.js'

const FIRST_ADMIN_HINT = `
No user yet. Add a first administrator (the password is read from standard input):
  printf '%s\\n' "$PASSWORD" | npx gatehouse user add alice --scopes users:admin

`

/** The only place that listens: load and validate config, build the app, serve, shut down on signals. */
async function main (): Promise<void> {
  let config, keys, https
  try {
    config = loadConfig(readEnvironment())
    keys = loadKeySet(config)
    https = config.tls === undefined ? undefined : loadTlsMaterial(config.tls)
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`gatehouse: refusing to start.\n${err.message}\n`)
      process.exit(78) // EX_CONFIG
    }
    throw err
  }

  const app = await buildApp({ config, keys, https, logStream: await prettyLogStream(config.production) })

  if (keys.generatedSecretFile !== undefined) {
    app.log.warn({ file: keys.generatedSecretFile },
      'JWT_SECRET is not set: using a development secret kept in the data folder. Set JWT_SECRET (and NODE_ENV=production) for real deployments.')
  }

  // Finish requests in flight, close the store, exit 0; a second signal or 10 s forces the exit.
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err !== undefined) app.log.error({ err }, 'shutting down after an error')
    else app.log.info({ signal }, 'shutting down')
    await app.close()
  })

  await app.listen({ host: config.host, port: config.port, listenTextResolver: listeningLine(config.docsEnabled) })
  if (config.metricsPort !== undefined) await listenForMetrics(app, config.host, config.metricsPort)
  // Plain text on stderr, not a log line: JSON would escape the command's quotes and backslash.
  if (!config.production && (await app.store.users.list({ limit: 1 })).length === 0) process.stderr.write(FIRST_ADMIN_HINT)
}

main().catch((err: unknown) => {
  process.stderr.write(`gatehouse: failed to start: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
