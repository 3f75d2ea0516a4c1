import { execFile, execFileSync } from 'node:child_process'
import { promisify } from 'node:util'
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import type { Test } from 'tap'
import { join } from 'node:path'
import { freePort } from '../child-process.js'

/**
 * A throw-away PostgreSQL cluster in a temp dir on a free port, for fault
 * tests that stop and restart the database. The shared PostgreSQL is never
 * touched. PostgreSQL refuses to run as root, so as root the cluster belongs
 * to the `postgres` system user.
 */

export interface PostgresProcess {
  port: number
  url: string
  /** Resolves once the server accepts connections (the test's own event loop keeps running meanwhile). */
  start: () => Promise<void>
  /** `fast` disconnects clients and shuts down cleanly; `immediate` is a crash. Resolves once it is down. */
  stop: (mode: 'fast' | 'immediate') => Promise<void>
  /** SIGSTOP (or SIGCONT) this cluster's postmaster and its backends: a database that hangs instead of refusing. */
  signalAll: (signal: 'SIGSTOP' | 'SIGCONT') => void
}

/** The postmaster (first line of postmaster.pid) and its direct children. */
function clusterPids (dataDir: string): number[] {
  const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
  const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(postmaster)]).toString()
    .split('\n').map(line => Number(line.trim())).filter(pid => pid > 0)
  return [postmaster, ...children]
}

function findBinDir (): string | undefined {
  const base = '/usr/lib/postgresql'
  if (!existsSync(base)) return undefined
  const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a))
  return versions.map(v => join(base, v, 'bin')).find(dir => existsSync(join(dir, 'initdb')))
}

const RUN_AS = userInfo().uid === 0 ? 'postgres' : undefined

function command (binary: string, args: string[]): [string, string[]] {
  return RUN_AS === undefined ? [binary, args] : ['runuser', ['-u', RUN_AS, '--', binary, ...args]]
}

function run (binary: string, args: string[]): void {
  execFileSync(...command(binary, args), { stdio: 'pipe', timeout: 60_000 })
}

/** Asynchronous, so that a test's clients keep sending requests while the server starts or stops. */
async function runAsync (binary: string, args: string[]): Promise<void> {
  await promisify(execFile)(...command(binary, args), { timeout: 60_000 })
}

/** Starts a fresh cluster, or skips (fails under GATEHOUSE_REQUIRE_SERVICES=1) when PostgreSQL is not installed. */
export async function startPostgres (t: Test): Promise<PostgresProcess | undefined> {
  const bin = findBinDir()
  if (bin === undefined) {
    const message = 'PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb) are not installed'
    if (process.env.GATEHOUSE_REQUIRE_SERVICES === '1') t.fail(message)
    else t.skip(`${message}: skipped`, () => {})
    return undefined
  }
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pg-'))
  const dataDir = join(dir, 'data')
  if (RUN_AS !== undefined) {
    const uid = Number(execFileSync('id', ['-u', RUN_AS]).toString().trim())
    const gid = Number(execFileSync('id', ['-g', RUN_AS]).toString().trim())
    chownSync(dir, uid, gid)
  }
  const port = await freePort()
  const pgCtl = join(bin, 'pg_ctl')
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on`
  let running = false
  const postgres: PostgresProcess = {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async start () {
      running = true
      await runAsync(pgCtl, ['-D', dataDir, '-o', options, '-l', join(dir, 'postgres.log'), '-w', '-t', '60', 'start'])
    },
    async stop (mode) {
      await runAsync(pgCtl, ['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop'])
      running = false
    },
    signalAll (signal) {
      const pids = clusterPids(dataDir)
      // Thaw children first so the postmaster never sees a stopped child when it resumes.
      for (const pid of signal === 'SIGCONT' ? pids.reverse() : pids) process.kill(pid, signal)
    }
  }
  t.teardown(() => {
    if (running) {
      try { postgres.signalAll('SIGCONT') } catch { /* not stopped */ }
      try { run(pgCtl, ['-D', dataDir, '-m', 'immediate', '-w', '-t', '60', 'stop']) } catch { /* already gone */ }
    }
    rmSync(dir, { recursive: true, force: true })
  })
  run(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync'])
  await postgres.start()
  return postgres
}
