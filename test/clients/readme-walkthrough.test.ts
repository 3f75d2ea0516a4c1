import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { ROOT } from '../child-process.js'
import { needOathtool } from '../services.js'
import { extractWalkthrough, runWalkthrough, SECTION } from './walkthrough.js'

/**
 * Item 4 of issue 7: the README's curl walk-through runs exactly as printed
 * (only the base URL is pointed at a free port) against the real service.
 */
t.test('the README walk-through runs as printed', async t => {
  // Its two-factor login computes the codes with oathtool.
  if (!await needOathtool(t)) return
  const readme = join(ROOT, 'README.md')
  if (!existsSync(readme)) { t.fail('README.md is missing at the repository root'); return }
  const blocks = extractWalkthrough(readFileSync(readme, 'utf8'))
  t.ok(blocks.length >= 3, `README.md has a "${SECTION}" section with sh blocks (found ${blocks.length})`)
  if (blocks.length === 0) return
  const run = await runWalkthrough(t, blocks)
  t.equal(run.code, 0, 'every command succeeded', { stdout: run.stdout, stderr: run.stderr })
  t.equal(run.blocksRun, blocks.length, 'every block ran')
  t.comment(run.stdout.trim())
})
