// node --expose-gc bench/cache-memory.mjs [N=20000] : memory per entry of the two caches AUTH_CACHE_SIZE sizes, the
// verified-token cache (src/tokens/verified-tokens.ts) and the embedded store's session cache, measured by filling both
// with N real entries (tokens signed by the service's own code, sessions read through the repository from a seeded
// SQLite store) and comparing heapUsed and RSS after a full GC. Run `npm run build` first. See docs/benchmark.md.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openStore } from '../dist/src/store/store.js'
import { createVerifiedTokens } from '../dist/src/tokens/verified-tokens.js'
import { mintTokens, passwordHashAtCost, seedStore } from './lib/store-seed.mjs'
import { serviceEnvironment } from './lib/targets.mjs'

if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc')
const n = Number(process.argv[2] ?? 20_000)
const tmp = mkdtempSync(join(tmpdir(), 'gatehouse-cache-memory-'))
const mb = bytes => (bytes / 1048576).toFixed(1)
function settled () {
  for (let i = 0; i < 3; i++) globalThis.gc()
  const { heapUsed, rss } = process.memoryUsage()
  return { heapUsed, rss }
}
try {
  const { sessions } = await seedStore({ dataDir: tmp, userCount: n, passwordHash: await passwordHashAtCost(4) })
  // Tokens arrive as fresh strings in each request and only the cache keeps them: they wait here as bytes
  // (outside the heap, and in the baseline) and become strings one at a time.
  const minted = await mintTokens(serviceEnvironment(), sessions)
  const tokenLength = minted[0].length
  const tokenBytes = Buffer.from(minted.join(''), 'latin1')
  minted.length = 0
  const tokens = { * [Symbol.iterator] () { for (let i = 0; i < n; i++) yield tokenBytes.toString('latin1', i * tokenLength, (i + 1) * tokenLength) } }
  const store = await openStore({ databaseUrl: undefined, dataDir: tmp, poolSize: 1, sessionCacheSize: n })
  const verified = createVerifiedTokens(n)
  const claimsOf = token => Object.freeze(JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()))

  const empty = settled()
  for (const token of tokens) verified.set(token, claimsOf(token))
  const withTokens = settled()
  for (const s of sessions) await store.sessions.findWithUser(s.sessionId)
  const withBoth = settled()
  const line = (what, from, to) => `${what}: heapUsed +${mb(to.heapUsed - from.heapUsed)} MB (${Math.round((to.heapUsed - from.heapUsed) / n)} B/entry), RSS +${mb(to.rss - from.rss)} MB (${Math.round((to.rss - from.rss) / n)} B/entry)`
  process.stdout.write(`${n} entries, token length ${tokenLength}\n`)
  process.stdout.write(`${line('verified-token cache', empty, withTokens)}\n`)
  process.stdout.write(`${line('session cache', withTokens, withBoth)}\n`)
  process.stdout.write(`${line('both', empty, withBoth)}\n`)
  // Used after the measurements, so that neither cache is garbage before them; and a check that every entry stayed.
  let hits = 0
  for (const token of tokens) if (verified.get(token) !== undefined) hits++
  if (hits !== n) throw new Error(`the token cache kept ${hits} of ${n} entries`)
  await store.close()
} finally {
  rmSync(tmp, { recursive: true, force: true })
}
