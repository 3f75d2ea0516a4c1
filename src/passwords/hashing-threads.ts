import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import type { Options as Argon2Options } from '@node-rs/argon2'

/** One hashing operation, run with the native libraries' synchronous calls on a thread of the pool. */
export type HashJob =
  | { op: 'bcrypt-verify', password: string, hash: string }
  | { op: 'bcrypt-hash', password: string, cost: number }
  | { op: 'argon2-verify', password: string, hash: string }
  | { op: 'argon2-hash', password: string, options: Argon2Options }

const require = createRequire(import.meta.url)

// A script rather than a module file: it runs the same from the TypeScript
// sources, the compiled files and the one-file bundle (dist/gatehouse.mjs),
// which has no worker entry of its own. The native modules are loaded by the
// absolute paths the main thread resolved.
const THREAD_SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads')
let niceApplied = true
try { require('node:os').setPriority(0, workerData.nice) } catch { niceApplied = false }
const bcrypt = require(workerData.bcrypt)
let argon2
const run = job => {
  switch (job.op) {
    case 'bcrypt-verify': return bcrypt.verifySync(job.password, job.hash)
    case 'bcrypt-hash': return bcrypt.hashSync(job.password, job.cost)
    case 'argon2-verify': argon2 ??= require(workerData.argon2); return argon2.verifySync(job.hash, job.password)
    case 'argon2-hash': argon2 ??= require(workerData.argon2); return argon2.hashSync(job.password, job.options)
  }
  throw new Error('unknown hashing operation ' + job.op)
}
parentPort.postMessage({ ready: true, niceApplied })
parentPort.on('message', job => {
  try { parentPort.postMessage({ value: run(job) }) } catch (err) { parentPort.postMessage({ error: String(err && err.message || err) }) }
})
`

interface Pending {
  resolve: (value: unknown) => void
  reject: (err: Error) => void
}

class HashingThread {
  private readonly worker: Worker
  private pending: Pending | undefined
  exited = false
  /** Whether the operating system accepted the lower priority (false in a sandbox that forbids setpriority). */
  niceApplied: Promise<boolean>

  constructor (nice: number, onNiceRefused: () => void) {
    this.worker = new Worker(THREAD_SCRIPT, {
      eval: true,
      workerData: { nice, bcrypt: require.resolve('@node-rs/bcrypt'), argon2: require.resolve('@node-rs/argon2') },
      // Nothing of the service's own code runs here: no loaders, no inspector flags.
      execArgv: [],
      env: {}
    })
    // An idle hashing thread does not keep the process alive.
    this.worker.unref()
    this.niceApplied = new Promise(resolve => {
      this.worker.once('message', (message: { niceApplied: boolean }) => {
        resolve(message.niceApplied)
        if (!message.niceApplied) onNiceRefused()
      })
      this.worker.once('exit', () => { resolve(false) })
    })
    this.worker.on('message', (message: { ready?: true, value?: unknown, error?: string }) => {
      if (message.ready === true) return
      const pending = this.pending
      this.pending = undefined
      if (message.error !== undefined) pending?.reject(new Error(message.error))
      else pending?.resolve(message.value)
    })
    this.worker.on('error', err => { this.fail(err) })
    this.worker.on('exit', () => {
      this.exited = true
      this.fail(new Error('hashing thread exited'))
    })
  }

  get busy (): boolean { return this.pending !== undefined }

  async run (job: HashJob): Promise<unknown> {
    return await new Promise((resolve, reject) => {
      this.pending = { resolve, reject }
      this.worker.ref()
      this.worker.postMessage(job)
    }).finally(() => { this.worker.unref() })
  }

  async terminate (): Promise<void> {
    await this.worker.terminate()
  }

  private fail (err: Error): void {
    const pending = this.pending
    this.pending = undefined
    pending?.reject(err)
  }
}

/**
 * Threads of their own for the regular hashing slots, each lowered to `nice`
 * (Linux keeps a nice value per thread). While the CPU is contended, a login
 * flood's hashes in the regular slots then yield to the event loop and to a
 * login in a reserved slot, which runs on libuv's pool at the process's own
 * priority (hash-limiter.ts, docs/benchmark.md). An idle machine runs them at
 * full speed: nice only decides who waits when there is not enough CPU.
 * Threads start on first use, so a process that never hashes has none.
 * `onNiceRefused` is called once if the operating system refuses the lower
 * priority (a sandbox that forbids setpriority): the threads then hash at the
 * process's own priority, as libuv's pool does.
 */
export class HashingThreads {
  private readonly threads: HashingThread[] = []
  private refusalReported = false

  constructor (readonly nice: number, private readonly onNiceRefused: () => void = () => {}) {}

  async run (job: HashJob): Promise<unknown> {
    return await this.idleThread().run(job)
  }

  /** Whether the operating system accepted the lower priority for the threads; the first thread is started if none is. */
  async niceApplied (): Promise<boolean> {
    return await (this.threads[0] ?? this.start()).niceApplied
  }

  async close (): Promise<void> {
    const threads = this.threads.splice(0)
    await Promise.all(threads.map(async thread => { await thread.terminate() }))
  }

  private idleThread (): HashingThread {
    for (let i = this.threads.length - 1; i >= 0; i--) {
      if (this.threads[i]?.exited === true) this.threads.splice(i, 1)
    }
    return this.threads.find(thread => !thread.busy) ?? this.start()
  }

  private start (): HashingThread {
    const thread = new HashingThread(this.nice, () => {
      if (this.refusalReported) return
      this.refusalReported = true
      this.onNiceRefused()
    })
    this.threads.push(thread)
    return thread
  }
}
