import { existsSync } from 'node:fs'
import net from 'node:net'
import type { Test } from 'tap'

/**
 * Where the shared PostgreSQL and Redis are. Tests that need one skip with a
 * clear message when it is not reachable, except under .ci/run
 * (GATEHOUSE_REQUIRE_SERVICES=1), where the skip becomes a failure.
 */
export const POSTGRES_URL = process.env.DATABASE_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
export const REDIS_URL = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379'
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const required = process.env.GATEHOUSE_REQUIRE_SERVICES === '1'

async function reachable (url: string): Promise<boolean> {
  const { hostname, port } = new URL(url)
  return await new Promise(resolve => {
    const socket = net.connect({ host: hostname, port: Number(port) })
    socket.setTimeout(1000)
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('timeout', () => { socket.destroy(); resolve(false) })
    socket.once('error', () => { resolve(false) })
  })
}

/** Resolves true when the service is there; otherwise skips (or fails under CI) and resolves false. */
async function need (t: Test, name: string, ok: boolean): Promise<boolean> {
  if (ok) return true
  const message = `${name} is not available on this machine`
  if (required) t.fail(`${message} (GATEHOUSE_REQUIRE_SERVICES=1 turns this skip into a failure)`)
  else void t.skip(`${message}: skipped (set GATEHOUSE_REQUIRE_SERVICES=1 to fail instead)`, () => {})
  return false
}

export async function needPostgres (t: Test): Promise<boolean> {
  return await need(t, `PostgreSQL at ${new URL(POSTGRES_URL).host}`, await reachable(POSTGRES_URL))
}

export async function needRedis (t: Test): Promise<boolean> {
  return await need(t, `Redis at ${new URL(REDIS_URL).host}`, await reachable(REDIS_URL))
}

export async function needOathtool (t: Test): Promise<boolean> {
  const found = process.env.PATH?.split(':').some(dir => existsSync(`${dir}/oathtool`)) === true
  return await need(t, 'oathtool (Debian package oathtool)', found)
}

export async function needChromium (t: Test): Promise<boolean> {
  return await need(t, `Chromium at ${CHROMIUM}`, existsSync(CHROMIUM))
}
