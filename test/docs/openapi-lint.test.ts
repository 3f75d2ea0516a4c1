import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { build, tempDir } from '../helper.js'
import { requireBuild, ROOT, spawnChild } from '../child-process.js'

/**
 * Issue 14 item 6: the document served at /docs/json passes `redocly lint`
 * (redocly.yaml: the recommended ruleset, its warnings raised to errors) with no problem at all.
 */
interface Problem { ruleId: string, severity: string, message: string, location: Array<{ pointer: string }> }
interface LintReport { totals: { errors: number, warnings: number, ignored: number }, problems: Problem[] }

const redocly = join(ROOT, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js')

/** Lints `document` with the project's redocly.yaml and returns Redocly's JSON report and exit code. */
async function lint (t: Test, document: unknown): Promise<{ code: number | string, report: LintReport }> {
  const file = join(tempDir(t, 'gatehouse-openapi-lint-'), 'openapi.json')
  writeFileSync(file, JSON.stringify(document, null, 2))
  const run = spawnChild(t, process.execPath, [redocly, 'lint', '--config', join(ROOT, 'redocly.yaml'), '--format', 'json', file], { env: process.env })
  const code = await run.exited
  return { code, report: JSON.parse(run.stdout().slice(run.stdout().indexOf('{'))) as LintReport }
}

const describe = (report: LintReport) =>
  report.problems.map(p => `${p.severity} ${p.ruleId} at ${p.location[0]?.pointer ?? '?'}: ${p.message}`)

t.test('the live /docs/json lints clean with Redocly CLI', async t => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: '/docs/json' })
  t.equal(res.statusCode, 200)
  const { code, report } = await lint(t, res.json())
  t.comment(`redocly lint: ${report.totals.errors} errors, ${report.totals.warnings} warnings`)
  t.equal(report.totals.errors, 0, 'no errors', { problems: describe(report) })
  t.equal(report.totals.warnings, 0, 'no warnings', { problems: describe(report) })
  t.equal(report.totals.ignored, 0, 'nothing hidden by an ignore file')
  t.equal(code, 0, 'redocly lint exits 0')

  // The same document with one operation's name removed: the lint must notice.
  const broken = res.json() as { paths: Record<string, Record<string, { operationId?: string }>> }
  delete broken.paths['/users/me']?.get?.operationId
  const failed = await lint(t, broken)
  t.same(describe(failed.report).map(p => p.split(' at ')[0]), ['error operation-operationId'], 'a missing operationId is an error')
  t.not(failed.code, 0, 'and redocly lint exits non-zero')
})

t.test('npm run lint:openapi builds the same document and passes', async t => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  t.equal(pkg.scripts['lint:openapi'], 'node scripts/ensure-build.mjs && node scripts/lint-openapi.mjs')
  requireBuild()
  const run = spawnChild(t, process.execPath, [join(ROOT, 'scripts', 'lint-openapi.mjs'), '--format', 'json'], { env: process.env })
  t.equal(await run.exited, 0, 'it exits 0', { output: run.output() })
  const report = JSON.parse(run.stdout().slice(run.stdout().indexOf('{'))) as LintReport
  t.same(report.totals, { errors: 0, warnings: 0, ignored: 0 }, 'no problems')
})
