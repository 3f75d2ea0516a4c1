import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ESLint } from 'eslint'
import t from 'tap'

// The README promises that `npm run lint` type-checks and runs ESLint over the
// whole repository, and that `npm test` (what CI runs) starts with it.

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
const eslint = new ESLint({ cwd: ROOT })

t.test('npm run lint runs tsc and ESLint, and npm test runs lint first', async t => {
  t.match(pkg.scripts.lint, /npm run typecheck/)
  t.match(pkg.scripts.lint, /\beslint\b.*--max-warnings 0/)
  t.match(pkg.scripts.test, /^npm run lint && /)
})

t.test('ESLint covers every source folder and skips build output', async t => {
  const linted = ['server.ts', 'eslint.config.js', 'src/errors.ts', 'plugins/error-handler.ts', 'routes/health.ts',
    'schemas/error.ts', 'scripts/bundle.mjs', 'bench/run.mjs', 'test/helper.ts']
  for (const file of linted) t.notOk(await eslint.isPathIgnored(join(ROOT, file)), `${file} is linted`)
  for (const file of ['dist/gatehouse.mjs', 'node_modules/fastify/fastify.js']) {
    t.ok(await eslint.isPathIgnored(join(ROOT, file)), `${file} is not linted`)
  }
})

t.test('.ts files get standard style through the typescript-eslint parser', async t => {
  const config = await eslint.calculateConfigForFile(join(ROOT, 'src/errors.ts')) as { rules: Record<string, unknown> }
  t.ok(Object.keys(config.rules).some(rule => rule.startsWith('@typescript-eslint/')), 'typescript-eslint rules apply')
  const [result] = await eslint.lintText('const x: number = 1;\nexport { x }\n', { filePath: join(ROOT, 'src/lint-probe.ts') })
  t.same(result?.messages.map(m => m.ruleId), ['@stylistic/semi'])
})
