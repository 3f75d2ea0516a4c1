import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import t from 'tap'

const ROOT = join(import.meta.dirname, '..')
const TEST = join(ROOT, 'test')

function files (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'fixtures' ? [] : files(path)
    return path.endsWith('.ts') ? [path] : []
  })
}

const isDir = (path: string) => { try { return statSync(path).isDirectory() } catch { return false } }

t.test('every child process of the tests is started through test/child-process.ts', async t => {
  const spawning = files(TEST)
    .filter(file => file !== join(TEST, 'child-process.ts'))
    .filter(file => /import\s*\{[^}]*\b(spawn|fork)\b[^}]*\}\s*from\s*'node:child_process'/.test(readFileSync(file, 'utf8')))
    .map(file => relative(ROOT, file))
  t.same(spawning, [], 'no other file imports spawn or fork')
})

t.test("tests type tap's test object with tap's own Test type", async t => {
  const local = files(TEST).filter(file => file !== import.meta.filename && /\binterface Tap\b/.test(readFileSync(file, 'utf8'))).map(file => relative(ROOT, file))
  t.same(local, [], 'no local interface Tap')
})

t.test('one test folder per source folder: test/src/<folder> mirrors src/<folder>', async t => {
  const sourceFolders = readdirSync(join(ROOT, 'src'), { withFileTypes: true }).filter(e => e.isDirectory()).map(e => e.name)
  const twice = sourceFolders.filter(name => isDir(join(TEST, name)) && isDir(join(TEST, 'src', name)))
  t.same(twice, [], 'no source folder is tested from both test/<folder> and test/src/<folder>')
})
