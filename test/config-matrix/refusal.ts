import type { Test } from 'tap'
import { baseEnv, freePort, spawnService } from '../child-process.js'
import { tempDir } from '../helper.js'

/** A secret that production accepts: 48 varied bytes. */
export const GOOD_SECRET = 'Zq3vN8xW1pLk5TgR7yHc2MdF9sJb4Ae6UoIwQe0rTyUiPaSdFgHj'

/** How long a refusal may take at most; a process that is still running by then has started instead. */
const REFUSAL_TIMEOUT_MS = 60_000

/**
 * Starts the real service with NODE_ENV=production and the given variables
 * and expects it to refuse: a non-zero exit, and stderr naming `variable`
 * (and never echoing a secret value given in `hidden`).
 */
export async function expectRefusal (t: Test, env: Record<string, string>, variable: string, hidden: string[] = []): Promise<void> {
  const dataDir = tempDir(t)
  const started = spawnService(t, baseEnv({ HOST: '127.0.0.1', LOG_LEVEL: 'warn', NODE_ENV: 'production', DATA_DIR: dataDir, PORT: String(await freePort()), ...env }), dataDir)
  let timer: NodeJS.Timeout | undefined
  const outcome = await Promise.race([
    started.exited,
    new Promise<'still running'>(resolve => { timer = setTimeout(() => { resolve('still running') }, REFUSAL_TIMEOUT_MS) })
  ])
  clearTimeout(timer)
  t.not(outcome, 'still running', 'the process ended on its own')
  t.ok(typeof outcome === 'number' && outcome !== 0, `non-zero exit (got ${String(outcome)})`)
  t.match(started.stderr(), variable, `stderr names ${variable}`)
  t.match(started.stderr(), /refusing to start/)
  for (const value of hidden) t.notMatch(started.stderr(), value, 'the secret value is not echoed')
}
