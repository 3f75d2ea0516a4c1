import type { ChildProcess } from 'node:child_process'
import net from 'node:net'
import { kill, spawnKept, waitFor } from './processes.js'

interface Tap { teardown: (fn: () => unknown) => void }

async function answersPing (port: number): Promise<boolean> {
  return await new Promise(resolve => {
    const socket = net.connect({ host: '127.0.0.1', port })
    socket.setTimeout(500)
    socket.once('connect', () => { socket.write('PING\r\n') })
    socket.once('data', data => { socket.destroy(); resolve(data.toString().startsWith('+PONG')) })
    socket.once('timeout', () => { socket.destroy(); resolve(false) })
    socket.once('error', () => { resolve(false) })
  })
}

/**
 * A private redis-server for a fault test (never the shared one): in its
 * own directory, no persistence, on `port`; killed in teardown.
 */
export class PrivateRedis {
  private child: ChildProcess | undefined
  constructor (private readonly t: Tap, readonly port: number, private readonly dir: string) {}

  get url (): string { return `redis://127.0.0.1:${this.port}` }

  async start (): Promise<void> {
    const { child, output } = spawnKept(this.t, 'redis-server', [
      '--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir
    ])
    this.child = child
    await waitFor(`redis-server on port ${this.port} (${output()})`, async () => await answersPing(this.port))
  }

  /** SIGSTOP: the connection stays open but nothing answers (a hung server, not a dead one). */
  pause (): void { this.child?.kill('SIGSTOP') }
  resume (): void { this.child?.kill('SIGCONT') }

  async stop (): Promise<void> {
    if (this.child !== undefined) await kill(this.child)
    this.child = undefined
  }
}
