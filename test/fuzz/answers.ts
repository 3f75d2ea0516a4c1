import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { LightMyRequestResponse as Response } from 'fastify'

/**
 * The fuzz oracle: never 5xx; every 4xx is JSON with exactly
 * `{ error, error_description }` (both non-empty strings); a 2xx only where
 * the caller says success is possible. Throws (so fast-check can shrink) with
 * the status and body.
 */
export function checkAnswer (res: Response, successStatuses: readonly number[] = []): void {
  const where = `${res.statusCode} ${res.body.slice(0, 300)}`
  if (res.statusCode >= 500) throw new Error(`server error: ${where}`)
  if (res.statusCode < 400) {
    if (!successStatuses.includes(res.statusCode)) throw new Error(`unexpected success: ${where}`)
    return
  }
  if (!String(res.headers['content-type']).startsWith('application/json')) throw new Error(`error without a JSON body: ${where} (${String(res.headers['content-type'])})`)
  const body = JSON.parse(res.body) as Record<string, unknown>
  const keys = Object.keys(body).sort().join(',')
  if (keys !== 'error,error_description') throw new Error(`non-standard error body: ${where}`)
  if (typeof body.error !== 'string' || !/^[a-z_]+$/.test(body.error)) throw new Error(`bad error code: ${where}`)
  if (typeof body.error_description !== 'string' || body.error_description === '') throw new Error(`empty error_description: ${where}`)
}

/**
 * Node's garbage collector, without --expose-gc on the command line (tap
 * starts the test processes): the flag can be set at run time, and a fresh
 * context then sees `gc`.
 */
export function collectGarbage (): () => void {
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}

/**
 * heapUsed after two full collections, in bytes. A loop of inject calls never
 * reaches the event loop's check phase, and light-my-request's null socket
 * releases each response in a setImmediate: let those run first.
 */
export async function settledHeap (gc: () => void): Promise<number> {
  for (let turn = 0; turn < 3; turn++) await new Promise(resolve => setImmediate(resolve))
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

export const MB = 1024 * 1024

/** What a fuzz run may add to the heap: caches filling up fit; a leak of 4 KB per request does not. */
export const HEAP_MARGIN = 12 * MB
