import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
export { freePort } from '../child-process.js'

interface Tap { teardown: (fn: () => unknown) => void }

/** Polls `probe` until it resolves true; throws after `attempts` tries. */
export async function waitFor (what: string, probe: () => Promise<boolean>, attempts = 100, intervalMs = 100): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await probe().catch(() => false)) return
    await new Promise(resolve => setTimeout(resolve, intervalMs))
  }
  throw new Error(`gave up waiting for ${what}`)
}

/** Kills the process (SIGKILL) and waits until it is gone. */
export async function kill (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGKILL')
  await exited
}

/** Spawns a child whose output is kept (for failure messages) and which is killed in teardown. */
export function spawnKept (t: Tap, command: string, args: string[], options: { env?: NodeJS.ProcessEnv, cwd?: string } = {}): { child: ChildProcess, output: () => string } {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  t.teardown(async () => { await kill(child) })
  return { child, output: () => output }
}
