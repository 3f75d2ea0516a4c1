// The hashing work of a refused login by kind of stored hash, for each
// PASSWORD_HASH (issue 15 item 1). bench/enumeration.mjs measures wall time
// over HTTP, which a loaded machine blurs; this measures the process's CPU
// time (getrusage: every thread, the thread pool's hashing included) of one
// hasher.verify at a time, kinds interleaved in a shuffled order each round,
// and the wall time beside it. BCRYPT_COST and ARGON2_* as configured
// (defaults: 12 and m=65536,t=3,p=4).
// Usage: npm run build && node bench/refusal-work.mjs [--rounds N]
import { loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const { createPasswordHasher } = await import(join(ROOT, 'dist/src/passwords/password-hasher.js'))
const { loadConfig } = await import(join(ROOT, 'dist/src/config.js'))
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '15' } } })
const rounds = Number(values.rounds)
const PASSWORD = 'Sturdy-Lamp-Orbit-42'
const { bcryptCost, argon2 } = loadConfig(process.env).passwords

const hasherOf = async (scheme, cost = bcryptCost) => await createPasswordHasher({ scheme, cost, argon2, concurrency: 1, queueMax: 10, queueTimeoutMs: 600_000 })
const stored = {
  bcrypt: await (await hasherOf('bcrypt')).hash(PASSWORD, 'seed'),
  bcryptLower: await (await hasherOf('bcrypt', bcryptCost - 2)).hash(PASSWORD, 'seed'),
  argon2id: await (await hasherOf('argon2id')).hash(PASSWORD, 'seed')
}
const median = list => { const s = [...list].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] }
const cpuMs = () => { const { user, system } = process.cpuUsage(); return (user + system) / 1000 }

const results = {}
for (const scheme of ['bcrypt', 'argon2id']) {
  const hasher = await hasherOf(scheme)
  const kinds = {
    'unknown user': undefined,
    'wrong password, bcrypt': stored.bcrypt,
    [`wrong password, bcrypt ${bcryptCost - 2}`]: stored.bcryptLower,
    'wrong password, argon2id': stored.argon2id,
    'unusable stored hash': '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$!'
  }
  // A warm-up round: makes the dummy hashes and meets both schemes, as a store holding both would.
  for (const hash of Object.values(kinds)) await hasher.verify('wrong-password', hash, 'bench')
  const samples = Object.fromEntries(Object.keys(kinds).map(kind => [kind, { cpu: [], wall: [] }]))
  for (let round = 0; round < rounds; round++) {
    for (const kind of Object.keys(kinds).sort(() => Math.random() - 0.5)) {
      const cpu = cpuMs()
      const wall = performance.now()
      if (await hasher.verify('wrong-password', kinds[kind], 'bench')) throw new Error('a wrong password verified')
      samples[kind].wall.push(performance.now() - wall)
      samples[kind].cpu.push(cpuMs() - cpu)
    }
  }
  const rows = Object.entries(samples).map(([kind, s]) => ({ kind, cpuMs: median(s.cpu), wallMs: median(s.wall) }))
  const cpus = rows.map(r => r.cpuMs)
  results[scheme] = { rows, cpuLargestOverSmallest: Math.max(...cpus) / Math.min(...cpus) }
  console.log(`\nPASSWORD_HASH=${scheme}, BCRYPT_COST=${bcryptCost}, ARGON2 m=${argon2.memoryKib},t=${argon2.iterations},p=${argon2.parallelism}; ${rounds} rounds; load average ${loadavg().map(l => l.toFixed(2)).join(' ')}`)
  console.log('kind                          median CPU ms   median wall ms')
  for (const r of rows) console.log(`${r.kind.padEnd(29)} ${r.cpuMs.toFixed(1).padStart(13)} ${r.wallMs.toFixed(1).padStart(16)}`)
  console.log(`CPU: largest median ÷ smallest median: ${results[scheme].cpuLargestOverSmallest.toFixed(3)}`)
}
