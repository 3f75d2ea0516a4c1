import type { Test } from 'tap'
import type { HttpResponse } from './http-client.js'
import { sleep } from '../child-process.js'

/** What is wrong with a response that should be the outage answer: 503 temporarily_unavailable, Retry-After, nothing internal. */
export function unavailableProblems (res: HttpResponse): string[] {
  const problems: string[] = []
  if (res.status !== 503) problems.push(`status ${res.status}`)
  if (!/^application\/json/.test(res.headers['content-type'] ?? '')) problems.push(`content-type ${res.headers['content-type']}`)
  let body: Record<string, unknown> = {}
  try { body = res.json() } catch { problems.push('body is not JSON') }
  if (Object.keys(body).sort().join() !== 'error,error_description') problems.push(`body keys ${Object.keys(body).join()}`)
  if (body.error !== 'temporarily_unavailable') problems.push(`error ${String(body.error)}`)
  if (!/^\d+$/.test(String(res.headers['retry-after']))) problems.push(`retry-after ${res.headers['retry-after']}`)
  if (/ECONN|postgres|pg-pool|sqlite|redis|terminat|\bat \w+ \(|node_modules/i.test(res.body)) problems.push(`internals in ${res.body}`)
  return problems
}

export function assertUnavailable (t: Test, res: HttpResponse, what: string): void {
  t.same(unavailableProblems(res), [], `${what}: 503 temporarily_unavailable, Retry-After, the standard error body only (${res.body})`)
}

/** Polls `probe` until its status is `status`, for at most `attempts` × `intervalMs`; returns the last status. */
export async function pollStatus (probe: () => Promise<HttpResponse>, status: number, attempts = 60, intervalMs = 500): Promise<number> {
  let last = 0
  for (let i = 0; i < attempts; i++) {
    last = (await probe()).status
    if (last === status) break
    await sleep(intervalMs)
  }
  return last
}
