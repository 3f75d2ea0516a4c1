import { appendFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Test } from 'tap'
import { tempDir } from '../helper.js'
import { baseEnv, freePort, ROOT, spawnChild, spawnService, waitForService } from '../child-process.js'

export const SECTION = '## Walk-through with curl'

/** The ```sh blocks of the README section under `heading` (up to the next `## `), in order. */
export function shBlocksOf (markdown: string, heading: string): string[] {
  const start = markdown.indexOf(`\n${heading}\n`)
  if (start < 0) return []
  const rest = markdown.slice(start + heading.length + 2)
  const end = rest.search(/^## /m)
  const section = end < 0 ? rest : rest.slice(0, end)
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map(match => match[1] as string)
}

/** The ```sh blocks of the walk-through section, in order. */
export const extractWalkthrough = (markdown: string): string[] => shBlocksOf(markdown, SECTION)

/** Points every `http://localhost:8000`-style URL at the instance under test; nothing else changes. */
export function rebase (block: string, baseUrl: string): string {
  return block.replace(/http:\/\/(?:localhost|127\.0\.0\.1):8000/g, baseUrl)
}

export interface WalkthroughRun { code: number, stdout: string, stderr: string, blocksRun: number }

/**
 * Starts the real service (development mode, temp DATA_DIR, free port) and
 * runs the blocks in order as one `bash -euo pipefail` script, so variables
 * carry from block to block. The script runs in a scratch folder that links
 * to the repository's package.json, bin, scripts, dist and node_modules, so
 * `npx gatehouse` works there with the service's own configuration. The
 * service's log lines are appended to gatehouse.log in that folder.
 */
export async function runWalkthrough (t: Test, blocks: string[]): Promise<WalkthroughRun> {
  const dataDir = tempDir(t, 'gatehouse-walkthrough-data-')
  const workDir = tempDir(t, 'gatehouse-walkthrough-')
  for (const name of ['package.json', 'bin', 'scripts', 'dist', 'node_modules']) symlinkSync(join(ROOT, name), join(workDir, name))
  const port = await freePort()
  const env = { DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'development', BCRYPT_COST: '10', LOG_LEVEL: 'warn' }
  // The service logs at info into gatehouse.log, as the README's `npm start | tee gatehouse.log`
  // does: the walk-through reads the development mail (the reset code) from it.
  const server = spawnService(t, baseEnv({ ...env, LOG_LEVEL: 'info' }), workDir)
  const log = join(workDir, 'gatehouse.log')
  writeFileSync(log, '')
  server.child.stdout?.on('data', (chunk: Buffer) => { appendFileSync(log, chunk) })
  await waitForService(server, 'live')

  const baseUrl = `http://127.0.0.1:${port}`
  const script = blocks.map((block, i) => `echo "### walk-through block ${i + 1}" >&2\n${rebase(block, baseUrl)}\necho ${i + 1} > .blocks-done`).join('\n')
  writeFileSync(join(workDir, 'walkthrough.sh'), script)
  const run = spawnChild(t, 'bash', ['-euo', 'pipefail', 'walkthrough.sh'], {
    cwd: workDir,
    env: { ...process.env, ...env, npm_config_update_notifier: 'false' }
  })
  const timer = setTimeout(() => { void run.stop('SIGKILL') }, 120_000)
  const exited = await run.exited
  clearTimeout(timer)
  const code = typeof exited === 'number' ? exited : 1
  const blocksRun = (run.stderr().match(/^### walk-through block \d+$/gm) ?? []).length
  return { code, stdout: run.stdout(), stderr: run.stderr(), blocksRun }
}
