import { readFileSync, existsSync } from 'node:fs'
import { isBuiltin } from 'node:module'
import { join } from 'node:path'
import t from 'tap'
import { ROOT, SERVER } from '../child-process.js'

// npm start and the container run the bundle, dist/gatehouse.mjs; every
// child-process test runs it too. What stays outside it must still be there
// once the image has pruned its development dependencies.

// A computed specifier: TypeScript does not type-check the build script.
const bundleScript: string = '../../scripts/bundle.mjs'
const { EXTERNAL } = await import(bundleScript) as { EXTERNAL: string[] }
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }

t.test('every module left outside the bundle is a production dependency', async t => {
  for (const name of EXTERNAL) t.ok(name in pkg.dependencies, `${name} is in dependencies`)
})

t.test('the bundle is built, and leaves outside it only Node itself and those modules', async t => {
  t.ok(existsSync(SERVER), 'npm run build wrote dist/gatehouse.mjs')
  const meta = JSON.parse(readFileSync(join(ROOT, 'dist', 'gatehouse.meta.json'), 'utf8')) as {
    outputs: Record<string, { imports: Array<{ path: string, external?: boolean }>, inputs: Record<string, unknown> }>
  }
  const output = meta.outputs['dist/gatehouse.mjs']
  t.ok(output, 'esbuild described the bundle')
  const external = new Set((output?.imports ?? []).filter(i => i.external === true).map(i => i.path))
  const bundled = Object.keys(output?.inputs ?? {})
  t.ok(bundled.some(path => path.startsWith('dist/')), 'our own modules are inside')
  t.notOk(bundled.some(path => /node_modules\/better-sqlite3/.test(path)), 'the native SQLite module is loaded from node_modules')
  t.notOk(bundled.some(path => /node_modules\/nodemailer\//.test(path)), 'nodemailer is loaded from node_modules, and only when SMTP is set')
  for (const specifier of external) {
    const bare = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0] as string
    t.ok(isBuiltin(specifier) || EXTERNAL.includes(bare), `${specifier} may stay outside`)
  }
})
