import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import net from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { TEST_SECRET } from './helper.js'

/**
 * The one helper for every test that starts a child process. Child-process
 * tests run what `npm start` and the container run: the bundled service,
 * dist/gatehouse.mjs (`npm run build` first; `npm test` does).
 */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
export const SERVER = join(ROOT, 'dist', 'gatehouse.mjs')
export const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js')

export function requireBuild (): void {
  if (!existsSync(SERVER) || !existsSync(CLI)) throw new Error('dist/ is missing: run `npm run build` before the process tests')
}

export const sleep = async (ms: number) => await new Promise(resolve => setTimeout(resolve, ms))

/** Only what a child needs from our environment, so that no stray gatehouse variable leaks in. */
export function baseEnv (extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...extra }
}

/** The environment of a test service: nothing inherited but PATH, so the machine's variables cannot leak in. */
export function serviceEnv (dataDir: string, port: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dataDir,
    JWT_SECRET: TEST_SECRET,
    BCRYPT_COST: '10',
    RATE_LIMIT_MAX: '0',
    LOG_LEVEL: 'warn',
    ...extra
  }
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

/** Polls `probe` until it resolves true; throws after `attempts` tries. */
export async function waitFor (what: string, probe: () => Promise<boolean>, attempts = 100, intervalMs = 100): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await probe().catch(() => false)) return
    await sleep(intervalMs)
  }
  throw new Error(`gave up waiting for ${what}`)
}

export interface Child {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  /** stdout and stderr together, in arrival order. */
  output: () => string
  /** Resolves with the exit code (or the signal name) once the process has ended. */
  exited: Promise<number | string>
  /** Sends a signal (SIGTERM by default) unless the process has ended, and resolves with the exit code (or the signal name). */
  stop: (signal?: NodeJS.Signals) => Promise<number | string>
}

/**
 * Spawns `command` with exactly `env`, in `cwd`, keeping its output for
 * assertions and failure messages; with `t`, it is SIGKILLed in teardown if
 * still running. `stdin` is written to the child and closed.
 */
export function spawnChild (t: Test | undefined, command: string, args: string[], options: { env?: NodeJS.ProcessEnv, cwd?: string, stdin?: string } = {}): Child {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => { out += chunk.toString(); output += chunk.toString() })
  child.stderr?.on('data', (chunk: Buffer) => { err += chunk.toString(); output += chunk.toString() })
  if (options.stdin !== undefined) child.stdin?.end(options.stdin)
  // 'close', not 'exit': the output is complete once the promise resolves.
  const exited = new Promise<number | string>(resolve => {
    child.once('close', (code, signal) => { resolve(code ?? signal ?? 'unknown') })
  })
  const running = () => child.exitCode === null && child.signalCode === null
  t?.teardown(async () => {
    if (running()) {
      child.kill('SIGKILL')
      await exited
    }
  })
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    output: () => output,
    exited,
    stop: async (signal = 'SIGTERM') => { if (running()) child.kill(signal); return await exited }
  }
}

export interface CliResult { code: number | string, stdout: string, stderr: string }

/** Runs the compiled CLI to completion with `stdin` given; pass a temp dir as cwd so no stray .env is read. */
export async function runCli (args: string[], options: { env: Record<string, string>, cwd: string, stdin?: string }): Promise<CliResult> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`)
  const cli = spawnChild(undefined, process.execPath, [CLI, ...args], { env: options.env, cwd: options.cwd, stdin: options.stdin ?? '' })
  const code = await cli.exited
  return { code, stdout: cli.stdout(), stderr: cli.stderr() }
}

export interface Service extends Child {
  port: number
  baseUrl: string
}

/**
 * Spawns the bundled service with exactly `env` (PORT must be set), in `cwd`
 * (the data folder by default, so no `.env` of the repository is read).
 * Does not wait for it: see waitForService.
 */
export function spawnService (t: Test, env: Record<string, string>, cwd = env.DATA_DIR ?? ROOT): Service {
  if (!existsSync(SERVER)) throw new Error(`${SERVER} is missing: run \`npm run build\` first`)
  const spawned = spawnChild(t, process.execPath, [SERVER], { env, cwd })
  const port = Number(env.PORT)
  const scheme = env.TLS_CERT_FILE === undefined ? 'http' : 'https'
  return { ...spawned, port, baseUrl: `${scheme}://127.0.0.1:${port}` }
}

/** What to wait for: the TCP port accepting connections, or a health endpoint answering 200. */
export type Until = 'listening' | 'live' | 'ready'

async function accepts (port: number): Promise<boolean> {
  return await new Promise<boolean>(resolve => {
    const socket = net.connect({ host: '127.0.0.1', port })
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => { resolve(false) })
  })
}

/** Waits (bounded) until the service is listening, live or ready; fails with its output if it exits first. */
export async function waitForService (service: Service, until: Until = 'listening', timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null || service.child.signalCode !== null) {
      throw new Error(`the service exited before it was ${until}:\n${service.output()}`)
    }
    const up = until === 'listening'
      ? await accepts(service.port)
      : await fetch(`${service.baseUrl}/health/${until}`).then(res => res.status === 200, () => false)
    if (up) return
    await sleep(100)
  }
  throw new Error(`the service was not ${until} within ${timeoutMs} ms:\n${service.output()}`)
}

/** spawnService, then waitForService. */
export async function startService (t: Test, env: Record<string, string>, options: { cwd?: string, until?: Until } = {}): Promise<Service> {
  const service = spawnService(t, env, options.cwd)
  await waitForService(service, options.until)
  return service
}
