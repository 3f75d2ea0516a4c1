#!/usr/bin/env node
// node examples/fastify-resource-server/server.mjs (settings: README.md next to this file)
import { buildApp } from './app.mjs'
import { readSettings } from './settings.mjs'

let settings
try {
  settings = readSettings()
} catch (err) {
  console.error(err.message)
  process.exit(78)
}
const app = await buildApp(settings)
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => { void app.close().then(() => process.exit(0)) })
await app.listen({ host: settings.host, port: settings.port })
