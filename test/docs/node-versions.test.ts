import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import semver from 'semver'
import t from 'tap'
import { ROOT } from '../child-process.js'

// package.json `engines` is the supported range the README states. Every
// installed package must accept the lowest version of each supported major,
// except the ones the README explains: the ES-module-only ones declare node
// >=22 but load through require(esm) from 20.19 on, and better-sqlite3 13 is
// not loaded on Node 20 (src/store/sqlite-driver.ts). A dependency that raises
// its floor shows up here, not as an EBADENGINE warning nobody reads.

const EXPLAINED_ESM_ONLY = ['cookie', 'content-disposition']
const EXPLAINED = [...EXPLAINED_ESM_ONLY, 'better-sqlite3']

interface LockedPackage { version?: string, engines?: { node?: string } }
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string }, devDependencies: Record<string, string> }
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockedPackage> }
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
const start = readme.indexOf('### Supported Node versions')
const section = readme.slice(start, readme.indexOf('\n## ', start))
const engines = pkg.engines.node

// The lowest version of each `||` alternative: 20.19.0, 22.13.0.
const floors = new semver.Range(engines).set.map(comparators => semver.minVersion(comparators.map(c => c.value).join(' '))?.version ?? '')

function refusing (version: string): string[] {
  const names: string[] = []
  for (const [path, entry] of Object.entries(lock.packages)) {
    const range = entry.engines?.node
    if (path === '' || range === undefined) continue
    if (!semver.satisfies(version, range)) names.push(path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length))
  }
  return [...new Set(names)].sort()
}

t.test('the README states the engines range', async t => {
  t.ok(start > 0, 'README has a "Supported Node versions" section')
  t.match(section, `\`${engines}\``)
  t.same(floors, ['20.19.0', '22.13.0'])
})

t.test('every dependency accepts the lowest supported versions, but the explained ones', async t => {
  for (const floor of floors) {
    const refused = refusing(floor)
    t.same(refused.filter(name => !EXPLAINED.includes(name)), [], `Node ${floor}`)
  }
  t.same(refusing('24.0.0'), [], 'Node 24 is accepted by every package')
  for (const name of EXPLAINED) {
    const locked = lock.packages[`node_modules/${name}`]
    t.ok(locked?.version, `${name} is installed`)
    t.match(section, `\`${name}@${locked?.version ?? ''}\``, `the README names ${name}@${locked?.version ?? ''}`)
  }
})

t.test('this Node is supported and can require() the ES-module-only dependencies', async t => {
  t.ok(semver.satisfies(process.version, engines), `${process.version} satisfies ${engines}`)
  const require = createRequire(join(ROOT, 'node_modules', '@fastify', 'static', 'index.js'))
  for (const name of EXPLAINED_ESM_ONLY) {
    t.doesNotThrow(() => require(name), `require('${name}') loads the ES module from CommonJS`)
  }
})

t.test('@types/node follows the lowest supported major', async t => {
  t.equal(semver.major(pkg.devDependencies['@types/node'] ?? ''), semver.major(floors[0] ?? ''))
})
