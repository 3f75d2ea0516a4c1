// `npm run lint:openapi` (after scripts/ensure-build.mjs): builds the OpenAPI
// document exactly as the service serves it at /docs/json (buildApp from dist/
// with the default configuration, on a throw-away SQLite store) and lints it
// with Redocly CLI (redocly.yaml: the recommended ruleset, warnings raised to
// errors). Exits with Redocly's status: non-zero on any problem. It never
// builds itself, so the test suite can run it beside the tests that use dist/.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const { buildApp } = await import('../dist/app.js')
const { loadConfig } = await import('../dist/src/config.js')
const { loadKeySet } = await import('../dist/src/tokens/keys.js')

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-openapi-'))
let status = 1
try {
  // Nothing is signed here: the secret only lets the configuration load.
  const config = loadConfig({ DATA_DIR: dir, JWT_SECRET: 'openapi-lint-only-0123456789abcdef0123456789abcdef' })
  const app = await buildApp({ config, keys: loadKeySet(config), logger: false })
  const document = join(dir, 'openapi.json')
  try {
    const res = await app.inject({ method: 'GET', url: '/docs/json' })
    if (res.statusCode !== 200) throw new Error(`/docs/json answered ${res.statusCode}`)
    writeFileSync(document, JSON.stringify(res.json(), null, 2))
  } finally {
    await app.close()
  }
  const redocly = join(root, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js')
  const lint = spawnSync(process.execPath, [redocly, 'lint', '--config', join(root, 'redocly.yaml'), document, ...process.argv.slice(2)], { stdio: 'inherit' })
  status = lint.status ?? 1
} finally {
  rmSync(dir, { recursive: true, force: true })
}
process.exit(status)
