import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { EnvSchema } from '../../src/config.js'
import { ROOT } from '../child-process.js'

// The README's configuration table is what operators read: every variable the
// service accepts must be in it, and it must not name one the service ignores.

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1))
const documented = new Set(section.split('\n')
  .filter(line => line.startsWith('| `'))
  .flatMap(line => [...(line.split('|')[1] ?? '').matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map(m => m[1] as string)))

t.test('every configuration variable is in the README table, and only those', async t => {
  const accepted = Object.keys(EnvSchema.properties)
  t.ok(documented.size > 10, 'the table was found')
  for (const name of accepted) t.ok(documented.has(name), `${name} is documented`)
  for (const name of documented) t.ok(accepted.includes(name), `${name} is a real variable`)
})
