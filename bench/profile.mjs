// node bench/profile.mjs [SECONDS=20] [--postgres] [--tokens N] [--script PATH] : CPU profile of the service (unbundled,
// dist/server.js, so that functions keep their module names) under GET /users/me load (50 connections, N distinct
// tokens of as many users, default 1,000), summarised by summarise-profile.mjs. --postgres: a private schema on
// BENCH_POSTGRES_URL (bench/lib/postgres-seed.mjs) instead of SQLite. --script: another build's server.js.
// --top N: how many lines per section (default 30). --introspect: POST /introspect of the same tokens (Basic auth) instead.
// AUTH_CACHE_SIZE in the environment is passed to the service (0: caches off). Run `npm run build` first.
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { loadIntrospect, loadMe } from './lib/load.mjs'
import { killAllNow, stop } from './lib/processes.mjs'
import { createPostgresSchema, seedPostgres } from './lib/postgres-seed.mjs'
import { mintTokens, passwordHashAtCost, seedIntrospector, seedStore } from './lib/store-seed.mjs'
import { serviceEnvironment, startGatehouse, UNBUNDLED_SERVER } from './lib/targets.mjs'

const { values: options, positionals } = parseArgs({
  allowPositionals: true,
  options: { postgres: { type: 'boolean', default: false }, introspect: { type: 'boolean', default: false }, tokens: { type: 'string', default: '1000' }, script: { type: 'string' }, top: { type: 'string', default: '30' } }
})
const seconds = Number(positionals[0] ?? 20)
const userCount = Number(options.tokens)
const tmp = mkdtempSync(join(tmpdir(), 'gatehouse-profile-'))
const profileDir = join(tmp, 'profile')
process.on('exit', killAllNow)
let schema
try {
  const passwordHash = await passwordHashAtCost(10)
  let env = serviceEnvironment({ BCRYPT_COST: '10' })
  let sessions
  if (options.postgres) {
    schema = await createPostgresSchema()
    mkdirSync(join(tmp, 'store'))
    env = { ...env, DATABASE_URL: schema.url };
    ({ sessions } = await seedPostgres({ url: schema.url, userCount, passwordHash }))
  } else {
    ({ sessions } = await seedStore({ dataDir: join(tmp, 'store'), userCount, passwordHash }))
  }
  const authorization = options.introspect ? await seedIntrospector({ dataDir: join(tmp, 'store') }) : undefined
  const script = options.script === undefined ? UNBUNDLED_SERVER : resolve(options.script)
  const service = await startGatehouse({ name: 'gatehouse', env, dataDir: join(tmp, 'store'), nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`], script })
  const tokens = await mintTokens(env, sessions)
  const result = authorization === undefined
    ? await loadMe({ url: service.url, connections: 50, seconds, tokens })
    : await loadIntrospect({ url: service.url, connections: 50, seconds, tokens, authorization })
  process.stdout.write(`${Math.round(result.rps)} req/s, p99 ${result.p99} ms under the profiler\n`)
  await stop(service.handle)
  const file = join(profileDir, readdirSync(profileDir)[0])
  execFileSync(process.execPath, [fileURLToPath(new URL('./summarise-profile.mjs', import.meta.url)), file, options.top], { stdio: 'inherit' })
} finally {
  await schema?.drop()
  rmSync(tmp, { recursive: true, force: true })
}
