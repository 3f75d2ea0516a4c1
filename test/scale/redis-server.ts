import net from 'node:net'
import type { Test } from 'tap'
import { spawnChild, waitFor, type Child } from '../child-process.js'

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
  private process: Child | undefined
  constructor (private readonly t: Test, readonly port: number, private readonly dir: string) {}

  get url (): string { return `redis://127.0.0.1:${this.port}` }

  async start (): Promise<void> {
    this.process = spawnChild(this.t, 'redis-server', [
      '--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir
    ])
    await waitFor(`redis-server on port ${this.port} (${this.process.output()})`, async () => await answersPing(this.port))
  }

  /** SIGSTOP: the connection stays open but nothing answers (a hung server, not a dead one). */
  pause (): void { this.process?.child.kill('SIGSTOP') }
  resume (): void { this.process?.child.kill('SIGCONT') }

  async stop (): Promise<void> {
    if (this.process !== undefined) await this.process.stop('SIGKILL')
    this.process = undefined
  }
}
