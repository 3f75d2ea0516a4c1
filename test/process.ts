import type { ChildProcess } from 'node:child_process'
import { freePort, ROOT, SERVER, spawnServer } from './child-process.js'
export { freePort, ROOT, SERVER }

interface Tap { teardown: (fn: () => unknown) => void }

export interface Started {
  child: ChildProcess
  port: number
  baseUrl: string
  stdout: () => string
  stderr: () => string
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>
}

/**
 * Starts `node dist/gatehouse.mjs` with only the given environment (plus PATH),
 * in `cwd` so no `.env` of the repository is read. Killed in teardown.
 */
export function startServer (t: Tap, env: Record<string, string>, cwd: string): Started {
  const spawned = spawnServer(t, { PATH: process.env.PATH ?? '/usr/bin:/bin', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env }, cwd)
  const port = Number(env.PORT ?? 8000)
  return { child: spawned.child, port, baseUrl: `http://127.0.0.1:${port}`, stdout: spawned.stdout, stderr: spawned.stderr, exited: spawned.exited }
}

/** Polls /health/live until it answers 200, the process exits, or the time is up. */
export async function waitUntilLive (started: Started, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let ended = false
  void started.exited.then(() => { ended = true })
  while (Date.now() < deadline) {
    if (ended) throw new Error(`the server exited before it was live:\n${started.stderr()}\n${started.stdout()}`)
    try {
      const res = await fetch(`${started.baseUrl}/health/live`)
      if (res.status === 200) return
    } catch {}
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  throw new Error(`the server was not live after ${timeoutMs} ms:\n${started.stderr()}`)
}
