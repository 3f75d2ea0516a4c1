import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import net from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Child-process tests run what `npm start` and the container run: the bundled
 * service, dist/gatehouse.mjs (`npm run build` first; `npm test` does).
 */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
export const SERVER = join(ROOT, 'dist', 'gatehouse.mjs')
export const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js')

interface Tap {
  teardown: (fn: () => unknown) => void
  bailout?: (reason: string) => void
}

export function requireBuild (): void {
  if (!existsSync(SERVER) || !existsSync(CLI)) throw new Error('dist/ is missing: run `npm run build` before the process tests')
}

/** Only what a child needs from our environment, so that no stray gatehouse variable leaks in. */
export function baseEnv (extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...extra }
}

export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => { resolve(port) })
    })
  })
}

export interface CliResult { code: number | null, stdout: string, stderr: string }

export async function runCli (args: string[], options: { env: Record<string, string>, cwd: string, stdin?: string }): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  child.stdin.end(options.stdin ?? '')
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  return { code, stdout, stderr }
}

export interface RunningServer {
  child: ChildProcess
  baseUrl: string
  /** Everything the process wrote to stdout and stderr so far. */
  output: () => string
  /** Sends a signal and resolves with the exit code (or the signal name). */
  stop: (signal?: NodeJS.Signals) => Promise<number | string>
}

export interface SpawnedServer {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  /** stdout and stderr together, in arrival order. */
  output: () => string
  /** Resolves with the exit code (or the signal name) once the process has ended. */
  exited: Promise<number | string>
}

/**
 * Spawns the bundled service with exactly `env`, in `cwd` (so no `.env` of the
 * repository is read), and SIGKILLs it in teardown if it is still running.
 * Does not wait for it to listen: every helper below does that its own way.
 */
export function spawnServer (t: Tap, env: Record<string, string>, cwd: string): SpawnedServer {
  if (!existsSync(SERVER)) throw new Error(`${SERVER} is missing: run \`npm run build\` first`)
  const child = spawn(process.execPath, [SERVER], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => { out += chunk.toString(); output += chunk.toString() })
  child.stderr?.on('data', (chunk: Buffer) => { err += chunk.toString(); output += chunk.toString() })
  const exited = new Promise<number | string>(resolve => {
    child.once('exit', (code, signal) => { resolve(code ?? signal ?? 'unknown') })
  })
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })
  return { child, stdout: () => out, stderr: () => err, output: () => output, exited }
}

/** Starts dist/gatehouse.mjs, waits until /health/ready answers 200, and kills it in teardown. */
export async function startServer (t: Tap, options: { env: Record<string, string>, cwd: string, port: number }): Promise<RunningServer> {
  const { child, output, exited } = spawnServer(t, options.env, options.cwd)
  const baseUrl = `http://127.0.0.1:${options.port}`
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output()}`)
    try {
      const res = await fetch(`${baseUrl}/health/ready`)
      if (res.status === 200) break
    } catch {}
    if (Date.now() > deadline) throw new Error(`server did not become ready:\n${output()}`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  return {
    child,
    baseUrl,
    output,
    stop: async (signal = 'SIGTERM') => { child.kill(signal); return await exited }
  }
}
