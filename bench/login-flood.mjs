// node bench/login-flood.mjs [--seconds 10] [--rounds 3] [--reserved 0,1] [--nice 10]
// Section [4] of `npm run bench` on its own, with one service per HASH_RESERVED_SLOTS × HASH_NICE value, in
// interleaved rounds (A, B, A, B…): a 64-connection wrong-password flood from one IP (a fresh one per
// round and service), a user from another IP logging in with the right password once a second, and
// GET /users/me load (50 connections). Reports the user's success rate and p99 ÷ one verify, /users/me
// p99, and the flood's password checks per second. Run `npm run build` first.
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { loadConfig } from '../dist/src/config.js'
import { startLogins } from './lib/load.mjs'
import { loginFloodRound } from './lib/login-flood.mjs'
import { killAllNow, memoryOf, stopAll } from './lib/processes.mjs'
import { median, round } from './lib/stats.mjs'
import { BENCH_PASSWORD, mintTokens, passwordHashAtCost, seedStore } from './lib/store-seed.mjs'
import { serviceEnvironment, startGatehouse } from './lib/targets.mjs'

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    reserved: { type: 'string', default: '0,1' },
    nice: { type: 'string', default: '10' }
  }
})
const SECONDS = Number(args.seconds)
const ROUNDS = Number(args.rounds)
const log = message => process.stdout.write(`${message}\n`)
const tmp = mkdtempSync(join(tmpdir(), 'gatehouse-flood-'))
process.on('exit', killAllNow)

try {
  const env = serviceEnvironment()
  const { bcryptCost, hashConcurrency } = loadConfig(env).passwords
  const passwordHash = await passwordHashAtCost(bcryptCost)
  const seededDir = join(tmp, 'seeded')
  const { sessions } = await seedStore({ dataDir: seededDir, userCount: 1000, passwordHash })
  const tokens = await mintTokens(env, sessions)
  const usernames = sessions.map(s => s.username)
  const targets = []
  for (const reserved of args.reserved.split(',')) {
    for (const nice of args.nice.split(',')) {
      const dataDir = join(tmp, `reserved-${reserved}-nice-${nice}`)
      cpSync(seededDir, dataDir, { recursive: true })
      const service = await startGatehouse({ name: `HASH_RESERVED_SLOTS=${reserved} HASH_NICE=${nice}`, env: { ...env, HASH_RESERVED_SLOTS: reserved, HASH_NICE: nice }, dataDir })
      // As in `npm run bench`, where section [3]'s logins come first: the login path is compiled before it is timed.
      await startLogins({ url: service.url, connections: 1, seconds: 2, usernames, password: BENCH_PASSWORD }).done
      targets.push({ ...service, runs: [] })
    }
  }
  log(`BCRYPT_COST=${bcryptCost}, HASH_CONCURRENCY=${hashConcurrency}; load average before: ${loadavg().map(l => l.toFixed(2)).join(' ')}; ${ROUNDS} rounds of ${SECONDS} s`)
  let address = 10
  for (let r = 1; r <= ROUNDS; r++) {
    for (const t of targets) {
      const flood = await loginFloodRound({
        url: t.url,
        floodAddress: `127.0.0.${address++}`, // fresh: LOGIN_MAX_FAILURES_PER_IP would turn an old address's flood into 429s
        userAddress: '127.0.0.2',
        floodUsernames: usernames.slice(0, -1),
        user: { username: usernames.at(-1), password: BENCH_PASSWORD },
        meTokens: tokens,
        seconds: SECONDS,
        passwordHash,
        hashConcurrency
      })
      const result = {
        ratio: flood.user.p99 / flood.verifyMs,
        successRate: flood.user.successRate,
        userP99: flood.user.p99,
        verifyMs: flood.verifyMs,
        meP99: flood.me.p99,
        meRps: flood.me.rps,
        checksPerSecond: flood.flood.hashed / flood.flood.seconds
      }
      t.runs.push(result)
      log(`  round ${r} ${t.name}: user ${flood.user.ok}/${flood.user.attempts} ${JSON.stringify(flood.user.statuses)} p50 ${round(flood.user.p50)} p99 ${round(result.userP99)} ms (${flood.user.times.map(ms => round(ms)).join(' ')}) = ${result.ratio.toFixed(2)} × one verify (${round(result.verifyMs)} ms); /users/me ${round(result.meRps)} req/s p99 ${result.meP99} ms; flood ${result.checksPerSecond.toFixed(2)} password checks/s`)
      await sleep(1000)
    }
  }
  log(`\nmedians (load average after: ${loadavg().map(l => l.toFixed(2)).join(' ')})`)
  for (const t of targets) {
    const m = key => median(t.runs.map(run => run[key]))
    log(`${t.name}: user p99 ÷ one verify ${m('ratio').toFixed(2)} (budget ≤ 2), success ${round(100 * m('successRate'))} %, /users/me p99 ${m('meP99')} ms (budget ≤ 50), ${round(m('meRps'))} req/s, flood ${m('checksPerSecond').toFixed(2)} checks/s, peak RSS ${round(memoryOf(t.handle).peakMb)} MB`)
  }
} finally {
  await stopAll()
  rmSync(tmp, { recursive: true, force: true })
}
