// HASH_CONCURRENCY on this machine: the login-flood round of `npm run bench`
// (bench/lib/login-flood.mjs) against one service per setting, rounds
// interleaved, so that cores − 1 and cores are compared under the same load.
// Usage (after `npm run build`): node bench/hash-concurrency.mjs [--values 1,2] [--rounds 3] [--seconds 10]
import { mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { loadConfig } from '../dist/src/config.js'
import { loginFloodRound } from './lib/login-flood.mjs'
import { killAllNow, stopAll } from './lib/processes.mjs'
import { median, round, table } from './lib/stats.mjs'
import { BENCH_PASSWORD, mintTokens, passwordHashAtCost, seedStore } from './lib/store-seed.mjs'
import { serviceEnvironment, startGatehouse } from './lib/targets.mjs'

const { values } = parseArgs({ options: { values: { type: 'string', default: '1,2' }, rounds: { type: 'string', default: '3' }, seconds: { type: 'string', default: '10' } } })
const settings = values.values.split(',').map(Number)
const rounds = Number(values.rounds)
const seconds = Number(values.seconds)
const tmp = mkdtempSync(join(tmpdir(), 'gatehouse-hash-concurrency-'))
process.on('exit', killAllNow)

try {
  const env = serviceEnvironment()
  const cost = loadConfig(env).passwords.bcryptCost
  const passwordHash = await passwordHashAtCost(cost)
  const targets = []
  for (const concurrency of settings) {
    const dataDir = join(tmp, `c${concurrency}`)
    const { sessions } = await seedStore({ dataDir, userCount: 1000, passwordHash })
    const service = await startGatehouse({ name: `HASH_CONCURRENCY=${concurrency}`, env: { ...env, HASH_CONCURRENCY: String(concurrency) }, dataDir })
    targets.push({ concurrency, service, sessions, tokens: await mintTokens(env, sessions), runs: [] })
  }
  console.log(`${availableParallelism()} cores, BCRYPT_COST=${cost}, ${rounds} interleaved rounds of ${seconds} s; load average ${loadavg().map(l => l.toFixed(2)).join(' ')}`)
  let address = 20
  for (let r = 1; r <= rounds; r++) {
    for (const target of targets) {
      const usernames = target.sessions.map(s => s.username)
      const result = await loginFloodRound({
        url: target.service.url,
        floodAddress: `127.0.0.${address++}`,
        userAddress: '127.0.0.2',
        floodUsernames: usernames.slice(0, -1),
        user: { username: usernames.at(-1), password: BENCH_PASSWORD },
        meTokens: target.tokens,
        seconds,
        passwordHash,
        hashConcurrency: target.concurrency
      })
      target.runs.push(result)
      console.log(`round ${r} HASH_CONCURRENCY=${target.concurrency}: hashed ${round(result.flood.hashed / result.flood.seconds, 2)}/s, /users/me ${round(result.me.rps)} req/s p99 ${result.me.p99} ms, user ${result.user.ok}/${result.user.attempts} ${JSON.stringify(result.user.statuses)} p50 ${round(result.user.p50)} p99 ${round(result.user.p99)} ms, one verify ${round(result.verifyMs)} ms; flood ${JSON.stringify(result.flood.counts)}`)
      await sleep(1000)
    }
  }
  const m = (target, pick) => median(target.runs.map(pick))
  console.log('\n' + table(['HASH_CONCURRENCY', 'password checks/s', '/users/me req/s', '/users/me p99 ms', 'user ok %', 'user p99 ms', 'user p99 ÷ one verify'], targets.map(target => [
    target.concurrency,
    round(m(target, r => r.flood.hashed / r.flood.seconds), 2),
    round(m(target, r => r.me.rps)),
    m(target, r => r.me.p99),
    round(m(target, r => r.user.successRate) * 100),
    round(m(target, r => r.user.p99)),
    round(m(target, r => r.user.p99 / r.verifyMs), 2)
  ])))
  console.log(`load average at the end ${loadavg().map(l => l.toFixed(2)).join(' ')}`)
} finally {
  await stopAll()
  rmSync(tmp, { recursive: true, force: true })
}
