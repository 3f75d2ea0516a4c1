/**
 * True when an ioredis error means Redis cannot serve the counters right now:
 * - unreachable: the client is disconnected (no offline queue), a command
 *   timed out, or the connection dropped mid-command;
 * - reachable but refusing: a read-only replica (the old primary after a
 *   failover), no primary link or replicas, still loading its data, out of
 *   memory under `noeviction`, writes stopped after a failed snapshot (its
 *   disk full), busy in a script, a cluster that is down or resharding.
 * Such errors become 503 (or pass uncounted with REDIS_FAIL_MODE=open), never
 * 500. Anything else (a script or data error, a bug) is not an outage.
 */
const MESSAGES = /Stream isn't writeable|Command timed out|Connection is closed|max retries per request|connect ECONNREFUSED/i
const CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH'])
/** Redis error replies start with their code (also when raised inside a script). */
const REFUSALS = /^(READONLY|MASTERDOWN|NOREPLICAS|LOADING|OOM|MISCONF|BUSY|TRYAGAIN|CLUSTERDOWN) /

export function isRedisUnavailable (err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false
  const { name, code, message } = err as { name?: unknown, code?: unknown, message?: unknown }
  if (name === 'MaxRetriesPerRequestError') return true
  if (typeof code === 'string' && CODES.has(code)) return true
  return typeof message === 'string' && (MESSAGES.test(message) || REFUSALS.test(message))
}

/** A primary that became a replica (failover): worth a new connection, which may reach the new primary. */
export function isReadOnlyReplica (err: Error): boolean {
  return err.message.startsWith('READONLY ')
}
