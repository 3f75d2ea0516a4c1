// node bench/summarise-profile.mjs FILE.cpuprofile [TOP=25]
// Prints the functions with the most self time, and self time grouped by package / source area.
import { readFileSync } from 'node:fs'

const [file, topArg] = process.argv.slice(2)
if (file === undefined) {
  process.stderr.write('usage: node bench/summarise-profile.mjs FILE.cpuprofile [TOP]\n')
  process.exit(2)
}
const top = Number(topArg ?? 25)
const profile = JSON.parse(readFileSync(file, 'utf8'))

const nodeById = new Map(profile.nodes.map(node => [node.id, node]))
const selfMicros = new Map()
profile.samples.forEach((id, i) => { selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)) })
const total = [...selfMicros.values()].reduce((a, b) => a + b, 0)

function area (url) {
  if (url === '') return '(native / V8)'
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (inModules !== null) return inModules[1]
  if (url.startsWith('node:')) return 'node core'
  const inDist = /dist\/(.+?)\/[^/]+\.js$/.exec(url)
  if (inDist !== null) return `gatehouse ${inDist[1]}/`
  return url
}

function keyOf ({ functionName, url, lineNumber }) {
  const shortUrl = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/')
  return `${functionName || '(anonymous)'}  ${shortUrl}${url ? `:${lineNumber + 1}` : ''}`
}

const byFunction = new Map()
const byArea = new Map()
for (const [id, micros] of selfMicros) {
  const { url } = nodeById.get(id).callFrame
  const key = keyOf(nodeById.get(id).callFrame)
  byFunction.set(key, (byFunction.get(key) ?? 0) + micros)
  byArea.set(area(url), (byArea.get(area(url)) ?? 0) + micros)
}

// Inclusive time: a function's self time plus that of everything it called
// (counted once per function even when it recurses).
const parentOf = new Map()
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id)
const inclusive = new Map()
for (const [id, micros] of selfMicros) {
  const seen = new Set()
  for (let at = id; at !== undefined; at = parentOf.get(at)) {
    const key = keyOf(nodeById.get(at).callFrame)
    if (seen.has(key)) continue
    seen.add(key)
    inclusive.set(key, (inclusive.get(key) ?? 0) + micros)
  }
}

const percent = micros => `${(100 * micros / total).toFixed(1).padStart(5)} %`
process.stdout.write(`${file}: ${(total / 1e6).toFixed(1)} s sampled\n\nself time by function (top ${top})\n`)
for (const [key, micros] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${percent(micros)}  ${key}\n`)
process.stdout.write(`\ninclusive time of gatehouse and library functions (top ${top})\n`)
for (const [key, micros] of [...inclusive].filter(([key]) => /\.js:/.test(key) && !/node:/.test(key)).sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${percent(micros)}  ${key}\n`)
process.stdout.write('\nself time by package / area\n')
for (const [key, micros] of [...byArea].sort((a, b) => b[1] - a[1]).slice(0, 20)) process.stdout.write(`${percent(micros)}  ${key}\n`)
