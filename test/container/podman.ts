import { spawnChild } from '../child-process.js'

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
  const child = spawnChild(undefined, command, args, { cwd: options.cwd, env: options.env ?? process.env, stdin: options.input ?? '' })
  let spawnError = ''
  const failed = new Promise<number>(resolve => { child.child.once('error', err => { spawnError = String(err); resolve(127) }) })
  const timer = setTimeout(() => { child.child.kill('SIGKILL') }, options.timeoutMs ?? 60_000)
  const exit = await Promise.race([child.exited, failed])
  clearTimeout(timer)
  const code = typeof exit === 'number' ? exit : 128
  return { code, stdout: child.stdout(), stderr: child.stderr() + spawnError, ms: performance.now() - started }
}

export async function podman (args: string[], options: { input?: string, timeoutMs?: number } = {}): Promise<Result> {
  return await run('podman', [...GLOBAL, ...args], options)
}
