import { readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import t from 'tap'
import ts from 'typescript'
import { ROOT, sources } from './sources.js'

// The layout (docs: STYLE.md, issue 12): app.ts composes plugins/ and routes/;
// plugins/ holds plugins only and never reaches into routes/; src/ is domain
// code without Fastify; schemas/ is plain TypeBox that anything may import.
// Imports are read with TypeScript's own pre-processor (static, re-exports and
// dynamic import()), not with a regular expression.

/** What a file imports: its own relative imports as repository paths ('routes/token.ts'), packages by name. */
function importsOf (file: string): { local: string[], packages: string[] } {
  const { importedFiles } = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true)
  const specifiers = importedFiles.map(f => f.fileName)
  return {
    local: specifiers.filter(s => s.startsWith('.'))
      .map(s => relative(ROOT, resolve(ROOT, dirname(file), s)).split(sep).join('/').replace(/\.js$/, '.ts')),
    packages: specifiers.filter(s => !s.startsWith('.'))
  }
}

const under = (folder: string) => (path: string) => path.startsWith(`${folder}/`)

t.test('nothing in plugins/ imports routes/ (or the app that composes them)', async t => {
  const files = sources('plugins')
  t.ok(files.length > 10, 'the plugins were found')
  for (const file of files) {
    const offending = importsOf(file).local.filter(p => under('routes')(p) || p === 'app.ts' || p === 'server.ts')
    t.same(offending, [], `${file} imports ${offending.join(', ')}`)
  }
})

t.test('the app is assembled beside server.ts, not in plugins/', async t => {
  t.ok(importsOf('server.ts').local.includes('app.ts'), 'server.ts builds the app from app.ts')
  t.ok(importsOf('app.ts').local.some(under('routes')), 'app.ts registers the routes')
})

t.test('routes/ holds routes: no route file imports another', async t => {
  for (const file of sources('routes')) {
    const offending = importsOf(file).local.filter(under('routes'))
    t.same(offending, [], `${file} imports ${offending.join(', ')}`)
  }
})

t.test('src/ is domain code: no Fastify, no plugins/ or routes/', async t => {
  for (const file of sources('src')) {
    const { local, packages } = importsOf(file)
    const offending = [
      ...local.filter(p => under('plugins')(p) || under('routes')(p) || !(under('src')(p) || under('schemas')(p))),
      ...packages.filter(p => p === 'fastify' || p.startsWith('fastify-') || p.startsWith('@fastify/'))
    ]
    t.same(offending, [], `${file} imports ${offending.join(', ')}`)
  }
})

t.test('schemas/ imports no code of ours, so that src/ may derive its types from it', async t => {
  for (const file of sources('schemas')) {
    const offending = importsOf(file).local.filter(p => !under('schemas')(p))
    t.same(offending, [], `${file} imports ${offending.join(', ')}`)
  }
})

t.test('src/users and src/store do not depend on each other both ways', async t => {
  const reaches = (from: string, to: string) => sources(from).filter(file => importsOf(file).local.some(under(to)))
  const usersToStore = reaches('src/users', 'src/store')
  const storeToUsers = reaches('src/store', 'src/users')
  t.ok(usersToStore.length === 0 || storeToUsers.length === 0,
    `a cycle: src/users → src/store in ${usersToStore.join(', ')}; src/store → src/users in ${storeToUsers.join(', ')}`)
})

t.test('routes/ needs no casts: hooks and handlers are typed by Fastify and the schemas', async t => {
  for (const file of sources('routes')) {
    const casts = readFileSync(join(ROOT, file), 'utf8').split('\n')
      .map((line, i) => ({ line: line.trim(), number: i + 1 }))
      .filter(({ line }) => /\bas (any|never|unknown)\b/.test(line))
    t.same(casts, [], `${file}: ${casts.map(c => `line ${c.number}: ${c.line}`).join('; ')}`)
  }
})

t.test('every production dependency is imported by the service', async t => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
  const files = ['src', 'schemas', 'plugins', 'routes'].flatMap(sources).concat(['app.ts', 'logger.ts', 'server.ts', 'shared-serializers.ts'])
  const imported = new Set(files.flatMap(file => importsOf(file).packages)
    .map(name => name.startsWith('@') ? name.split('/').slice(0, 2).join('/') : name.split('/')[0]))
  // The SQLite driver is chosen by Node major and loaded by a name held in a constant (src/store/sqlite-driver.ts).
  const driver = readFileSync(join(ROOT, 'src/store/sqlite-driver.ts'), 'utf8')
  const loadedByName = (name: string): boolean => driver.includes(`'${name}'`)
  const unused = Object.keys(pkg.dependencies).filter(name => !imported.has(name) && !loadedByName(name))
  t.same(unused, [], `not imported: ${unused.join(', ')}`)
})
