import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort, startNode, waitForListening, waitForOk } from './processes.mjs'

const SERVER = fileURLToPath(new URL('../../dist/gatehouse.mjs', import.meta.url))
/** The same service unbundled (tsc's output): profiles then name each module and package. */
export const UNBUNDLED_SERVER = fileURLToPath(new URL('../../dist/server.js', import.meta.url))
const FLOOR = fileURLToPath(new URL('../floor-server.mjs', import.meta.url))

/** Settings the operator may pass through to the service under test. */
const PASSTHROUGH = ['UV_THREADPOOL_SIZE', 'BCRYPT_COST', 'HASH_CONCURRENCY', 'HASH_RESERVED_SLOTS', 'HASH_NICE', 'HASH_QUEUE_MAX', 'HASH_QUEUE_MAX_PER_IP', 'HASH_QUEUE_TIMEOUT_MS', 'AUTH_CACHE_SIZE', 'DATABASE_POOL_SIZE']

/**
 * The service's environment: production mode, embedded SQLite, HS256,
 * logging at warn, and the general per-IP rate limiter off (RATE_LIMIT_MAX=0)
 * because all bench traffic comes from one address and would otherwise be
 * throttled at 1,000 requests a minute. Every instance shares the issuer,
 * so one set of tokens is valid on all of them.
 */
export function serviceEnvironment (overrides = {}) {
  const env = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PUBLIC_URL: 'http://127.0.0.1:8000',
    JWT_ALGORITHM: 'HS256',
    JWT_SECRET: randomBytes(48).toString('base64url'),
    LOG_LEVEL: 'warn',
    RATE_LIMIT_MAX: '0'
  }
  for (const name of PASSTHROUGH) if (process.env[name] !== undefined) env[name] = process.env[name]
  return { ...env, ...overrides }
}

/** The node flags `npm start` and the container run the service with (package.json config.nodeFlags). */
export function productionNodeFlags () {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
  return (pkg.config?.nodeFlags ?? '').split(' ').filter(Boolean)
}

/** `--node-flags "…"` on the bench command line replaces the production flags (to compare settings). */
export function nodeFlags () {
  const at = process.argv.indexOf('--node-flags')
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1].split(' ').filter(Boolean) : productionNodeFlags()
}

/** Starts the bundled service (dist/gatehouse.mjs, what npm start runs) on a free port with DATA_DIR; resolves when /health/ready answers 200. */
export async function startGatehouse ({ name, env, dataDir, nodeArgs = nodeFlags(), script = SERVER }) {
  const port = await freePort()
  const handle = startNode(name, [...nodeArgs, script], { ...env, PORT: String(port), DATA_DIR: dataDir }, { cwd: dataDir })
  const url = `http://127.0.0.1:${port}`
  const readyMs = await waitForOk(handle, `${url}/health/ready`)
  return { name, url, handle, readyMs }
}

export async function startFloor ({ name, auth, secret, issuer, audience }) {
  const env = { PATH: process.env.PATH, PORT: '0', JWT_SECRET: secret, JWT_ISSUER: issuer, JWT_AUDIENCE: audience }
  const handle = startNode(name, auth ? [FLOOR, '--auth'] : [FLOOR], env)
  const port = await waitForListening(handle)
  return { name, url: `http://127.0.0.1:${port}`, handle }
}

/** The start-up reference: ms from spawning the bare floor server to its first 200. */
export async function timeFloorStartup () {
  const port = await freePort()
  const handle = startNode('floor start-up', [FLOOR], { PATH: process.env.PATH, PORT: String(port) })
  const readyMs = await waitForOk(handle, `http://127.0.0.1:${port}/users/me`)
  return { handle, readyMs }
}

/**
 * The environment of an ES256 instance: a fresh P-256 key in PKCS#8 PEM (what
 * `gatehouse keys generate --alg ES256` writes), mode 0600, in `dir`.
 * The rest (issuer, audience, store settings) is `base`'s; the HS256 secret is dropped.
 */
export function es256Environment (base, dir) {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const file = join(dir, 'es256.key')
  writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 })
  const { JWT_SECRET: _secret, ...rest } = base
  return { ...rest, JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY_FILE: file }
}
