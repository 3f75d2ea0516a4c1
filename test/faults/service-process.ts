import type { ChildProcess } from 'node:child_process'
import net from 'node:net'
import { TEST_SECRET } from '../helper.js'
import { freePort, ROOT, SERVER, spawnServer } from '../child-process.js'
export { freePort, ROOT }
export const SERVER_JS = SERVER

/**
 * Real `node dist/gatehouse.mjs` processes for start-up, shutdown and fault tests.
 * `npm test` builds dist first; run `npm run build` before running one of
 * these files alone.
 */

interface Tap {
  teardown: (fn: () => unknown) => void
}

export const sleep = async (ms: number) => await new Promise(resolve => setTimeout(resolve, ms))

export interface ServiceProcess {
  child: ChildProcess
  port: number
  baseUrl: string
  /** Everything the process wrote to stdout and stderr so far. */
  output: () => string
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  exited: Promise<number | string>
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

/** Spawns the service; killed with SIGKILL in teardown if still running. Does not wait for it to listen. */
export function spawnService (t: Tap, env: Record<string, string>): ServiceProcess {
  const { child, output, exited } = spawnServer(t, env, env.DATA_DIR ?? ROOT)
  const port = Number(env.PORT)
  const scheme = env.TLS_CERT_FILE === undefined ? 'http' : 'https'
  return { child, port, baseUrl: `${scheme}://127.0.0.1:${port}`, output, exited }
}

/** Waits until the TCP port accepts connections (bounded), or fails with the process output. */
export async function waitForListening (service: ServiceProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null || service.child.signalCode !== null) {
      throw new Error(`service exited before listening:\n${service.output()}`)
    }
    const open = await new Promise<boolean>(resolve => {
      const socket = net.connect({ host: '127.0.0.1', port: service.port })
      socket.once('connect', () => { socket.destroy(); resolve(true) })
      socket.once('error', () => { resolve(false) })
    })
    if (open) return
    await sleep(100)
  }
  throw new Error(`service did not listen within ${timeoutMs} ms:\n${service.output()}`)
}

export async function startService (t: Tap, env: Record<string, string>): Promise<ServiceProcess> {
  const service = spawnService(t, env)
  await waitForListening(service)
  return service
}
