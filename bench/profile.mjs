// node bench/profile.mjs [SECONDS=20] : CPU profile of the service (unbundled, dist/server.js, so that functions keep their module names) under GET /users/me load
// (1,000-user store, 50 connections), summarised by summarise-profile.mjs. Run `npm run build` first.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { loadMe } from './lib/load.mjs'
import { killAllNow, stop } from './lib/processes.mjs'
import { mintTokens, passwordHashAtCost, seedStore } from './lib/store-seed.mjs'
import { serviceEnvironment, startGatehouse, UNBUNDLED_SERVER } from './lib/targets.mjs'

const seconds = Number(process.argv[2] ?? 20)
const tmp = mkdtempSync(join(tmpdir(), 'gatehouse-profile-'))
const profileDir = join(tmp, 'profile')
process.on('exit', killAllNow)
try {
  const env = serviceEnvironment({ BCRYPT_COST: '10' })
  const { sessions } = await seedStore({ dataDir: join(tmp, 'store'), userCount: 1000, passwordHash: await passwordHashAtCost(10) })
  const service = await startGatehouse({ name: 'gatehouse', env, dataDir: join(tmp, 'store'), nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`], script: UNBUNDLED_SERVER })
  const result = await loadMe({ url: service.url, connections: 50, seconds, tokens: await mintTokens(env, sessions) })
  process.stdout.write(`${Math.round(result.rps)} req/s, p99 ${result.p99} ms under the profiler\n`)
  await stop(service.handle)
  const file = join(profileDir, readdirSync(profileDir)[0])
  execFileSync(process.execPath, [fileURLToPath(new URL('./summarise-profile.mjs', import.meta.url)), file, '30'], { stdio: 'inherit' })
} finally {
  rmSync(tmp, { recursive: true, force: true })
}
