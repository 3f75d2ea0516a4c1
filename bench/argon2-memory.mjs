// Peak RSS of a process doing argon2id verifications through the hasher
// (issue 15 item 1): argon2 memory is native, outside the V8 heap, and each
// hashing slot holds one ARGON2_MEMORY_KIB buffer while it works. Runs 8
// verifications (half right, half wrong) at ARGON2_* (pwdlib's defaults when
// unset) with HASH_CONCURRENCY slots and prints VmHWM before and after.
// Usage: npm run build && node bench/argon2-memory.mjs [HASH_CONCURRENCY]
import { readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const { createPasswordHasher } = await import(join(ROOT, 'dist/src/passwords/password-hasher.js'))
const { loadConfig } = await import(join(ROOT, 'dist/src/config.js'))

const concurrency = Number(process.argv[2] ?? 1)
const { argon2 } = loadConfig({ ...process.env, HASH_CONCURRENCY: String(concurrency) }).passwords
const peakRssMiB = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024

const before = peakRssMiB()
const hasher = await createPasswordHasher({ scheme: 'argon2id', cost: 12, argon2, concurrency, queueMax: 100, queueTimeoutMs: 600_000 })
const stored = await hasher.hash('Sturdy-Lamp-Orbit-42', 'client')
const started = performance.now()
await Promise.all(Array.from({ length: 8 }, (_, i) => hasher.verify(i % 2 === 1 ? 'wrong-password-42' : 'Sturdy-Lamp-Orbit-42', stored, `client${i}`)))
console.log(JSON.stringify({
  hashConcurrency: concurrency,
  argon2,
  peakRssMiBBeforeHashing: Number(before.toFixed(1)),
  peakRssMiB: Number(peakRssMiB().toFixed(1)),
  msPerVerification: Math.round((performance.now() - started) / 8 * concurrency),
  loadAverage: loadavg().map(l => Number(l.toFixed(2)))
}))
