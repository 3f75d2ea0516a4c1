import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const SERVER = `${ROOT}dist/gatehouse.mjs`
export const CLI = `${ROOT}dist/src/cli/main.js`

interface Tap {
  teardown: (fn: () => unknown) => void
  fail: (message: string) => void
}

/** The spawning tests run the compiled service, as in production; `npm test` builds it first. */
export function needBuild (t: Tap): boolean {
  if (existsSync(SERVER) && existsSync(CLI)) return true
  t.fail('dist/ is missing: run `npm run build` first')
  return false
}

/** Only what the child needs: nothing from the test runner's own environment leaks in. */
export function childEnv (env: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }
}

/** Runs the CLI to completion with stdin given; cwd is a temp dir so no stray .env is read. */
export function runCli (args: string[], options: { env: Record<string, string>, cwd: string, input?: string }): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { env: childEnv(options.env), cwd: options.cwd, input: options.input ?? '', encoding: 'utf8' })
}

export interface RunningServer {
  url: string
  child: ChildProcess
  /** SIGTERM, then the exit code. */
  stop: () => Promise<number | null>
}

function exited (child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode)
  return new Promise(resolve => child.once('exit', code => { resolve(code) }))
}

/**
 * Starts dist/gatehouse.mjs on port 0 (the kernel picks a free one: no race with
 * other tests) and resolves with the address it logs once listening. Set
 * PUBLIC_URL yourself when tokens must outlive a restart: its default follows
 * PORT. Killed in teardown if still running.
 */
export async function startServer (t: Tap, env: Record<string, string>, cwd: string): Promise<RunningServer> {
  const child = spawn(process.execPath, [SERVER], {
    env: childEnv({ HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env, PORT: '0' }),
    cwd,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  let output = ''
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8')
      const listening = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (listening !== null) { child.stdout?.off('data', onData); resolve(listening[1] as string) }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString('utf8') })
    child.once('exit', code => { reject(new Error(`server exited with ${String(code)} before listening:\n${output}`)) })
  })
  child.stdout?.resume()
  return {
    url,
    child,
    stop: async () => { child.kill('SIGTERM'); return await exited(child) }
  }
}

/** Runs dist/gatehouse.mjs expecting it to refuse to start. */
export async function failedStart (env: Record<string, string>, cwd: string): Promise<{ code: number | null, stderr: string }> {
  const child = spawn(process.execPath, [SERVER], { env: childEnv({ HOST: '127.0.0.1', PORT: '0', ...env }), cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8') })
  child.stdout.resume()
  const code = await exited(child)
  return { code, stderr }
}
