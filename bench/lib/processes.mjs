import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { setPriority } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Every child process the bench starts goes through here, so that one call
 * (also on error, Ctrl-C or SIGTERM) stops them all.
 */
const children = new Set()

export function freePort () {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/**
 * The nice value of the load generators (autocannon, the login flood's
 * client): BENCH_LOAD_NICE, 0 unless set. They stand in for clients on other
 * machines but share this one's cores with the service; a higher value makes
 * them yield the CPU to the service when it is short (docs/benchmark.md,
 * "The load generators"). The probes whose timing is measured (the flood's
 * other IP) always keep normal priority.
 */
export function loadGeneratorNice () {
  const nice = Number(process.env.BENCH_LOAD_NICE ?? 0)
  if (!Number.isInteger(nice) || nice < 0 || nice > 19) throw new Error(`BENCH_LOAD_NICE must be an integer from 0 to 19, not ${process.env.BENCH_LOAD_NICE}`)
  return nice
}

/**
 * Starts `node args…` with the given environment; stderr is kept (last 4 KB)
 * for error messages. `ipc` opens a message channel (child.send / 'message');
 * `nice` lowers the child's priority.
 */
export function startNode (name, args, env, { cwd, ipc = false, nice = 0 } = {}) {
  const child = spawn(process.execPath, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe', ...(ipc ? ['ipc'] : [])] })
  if (nice !== 0 && child.pid !== undefined) setPriority(child.pid, nice)
  const handle = { name, child, pid: child.pid, startedAt: performance.now(), stdout: '', stderr: '', exited: false, peakRssKb: 0 }
  child.stdout.setEncoding('utf8').on('data', chunk => { handle.stdout = (handle.stdout + chunk).slice(-4096) })
  child.stderr.setEncoding('utf8').on('data', chunk => { handle.stderr = (handle.stderr + chunk).slice(-4096) })
  child.once('exit', () => { handle.exited = true; children.delete(handle) })
  children.add(handle)
  return handle
}

/** Resolves with the ms from spawn to the first HTTP 200 from url; rejects if the process dies or the timeout passes. */
export async function waitForOk (handle, url, timeoutMs = 15_000) {
  const deadline = performance.now() + timeoutMs
  while (performance.now() < deadline) {
    if (handle.exited) throw new Error(`${handle.name} exited before it was ready:\n${handle.stderr}`)
    try {
      const response = await fetch(url)
      await response.arrayBuffer()
      if (response.status === 200) return performance.now() - handle.startedAt
    } catch {}
    await sleep(5)
  }
  throw new Error(`${handle.name} was not ready within ${timeoutMs} ms:\n${handle.stderr}`)
}

/** Waits for the `listening <port>` line printed by floor-server.mjs. */
export async function waitForListening (handle, timeoutMs = 15_000) {
  const deadline = performance.now() + timeoutMs
  while (performance.now() < deadline) {
    const match = /listening (\d+)/.exec(handle.stdout)
    if (match !== null) return Number(match[1])
    if (handle.exited) throw new Error(`${handle.name} exited before listening:\n${handle.stderr}`)
    await sleep(10)
  }
  throw new Error(`${handle.name} did not listen within ${timeoutMs} ms`)
}

/** Current and peak resident set size of a live process, in MB (Linux /proc). */
export function memoryOf (handle) {
  const status = readFileSync(`/proc/${handle.pid}/status`, 'utf8')
  const kb = field => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN)
  const rssKb = kb('VmRSS')
  // A process that is exiting has no VmRSS/VmHWM lines any more.
  for (const value of [rssKb, kb('VmHWM')]) if (Number.isFinite(value)) handle.peakRssKb = Math.max(handle.peakRssKb, value)
  return { rssMb: rssKb / 1024, peakMb: handle.peakRssKb / 1024 }
}

const CLOCK_TICKS_PER_SECOND = 100 // USER_HZ, 100 on Linux

/** CPU time (user + system, all threads) the process has used so far, in µs (Linux /proc). */
export function cpuMicrosOf (handle) {
  // Fields after the parenthesised command name; utime and stime are the 12th and 13th of those.
  const fields = readFileSync(`/proc/${handle.pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) * (1_000_000 / CLOCK_TICKS_PER_SECOND)
}

export async function stop (handle, graceMs = 5000) {
  if (handle.exited) return
  try { memoryOf(handle) } catch {}
  const exited = new Promise(resolve => handle.child.once('exit', resolve))
  handle.child.kill('SIGTERM')
  const timer = setTimeout(() => { if (!handle.exited) handle.child.kill('SIGKILL') }, graceMs)
  await exited
  clearTimeout(timer)
}

export async function stopAll () {
  await Promise.all([...children].map(handle => stop(handle)))
}

/** Synchronous last resort for process 'exit': SIGKILL whatever is still running. */
export function killAllNow () {
  for (const handle of children) {
    try { handle.child.kill('SIGKILL') } catch {}
  }
}
