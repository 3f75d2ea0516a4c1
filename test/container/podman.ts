import { spawn } from 'node:child_process'

/**
 * Podman as CI can run it: as root, without a container daemon, kernel
 * overlay mounts or a registry. vfs storage and chroot isolation need no
 * special kernel features; `--format docker` keeps HEALTHCHECK (the OCI format
 * drops it); `--network host` because no network namespace can be set up.
 * The limits: runc refuses to raise any rlimit here (no CAP_SYS_RESOURCE), and
 * podman's defaults for open files and processes are above the sandbox's.
 */
export const GLOBAL = ['--storage-driver', 'vfs']
export const BUILD = ['build', '--isolation', 'chroot', '--network', 'host', '--format', 'docker']
export const RUN = ['run', '--runtime', 'runc', '--ulimit', 'nofile=4096:4096', '--ulimit', 'nproc=4096:4096', '--network', 'host']

export interface Result { code: number, stdout: string, stderr: string, ms: number }

/** Runs `command`, feeding `input` to its standard input; kills it after `timeoutMs`. */
export async function run (command: string, args: string[], options: { input?: string, env?: NodeJS.ProcessEnv, cwd?: string, timeoutMs?: number } = {}): Promise<Result> {
  const started = performance.now()
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  child.stdin.end(options.input ?? '')
  const timer = setTimeout(() => { child.kill('SIGKILL') }, options.timeoutMs ?? 60_000)
  const code = await new Promise<number>(resolve => {
    child.once('error', err => { stderr += String(err); resolve(127) })
    child.once('close', (exitCode, signal) => { resolve(exitCode ?? (signal === null ? 1 : 128)) })
  })
  clearTimeout(timer)
  return { code, stdout, stderr, ms: performance.now() - started }
}

export async function podman (args: string[], options: { input?: string, timeoutMs?: number } = {}): Promise<Result> {
  return await run('podman', [...GLOBAL, ...args], options)
}
