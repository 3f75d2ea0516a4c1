/**
 * True when an ioredis error means Redis cannot be reached right now: the
 * client is disconnected (no offline queue), a command timed out, or the
 * connection dropped mid-command. Such errors become 503, never 500.
 */
const MESSAGES = /Stream isn't writeable|Command timed out|Connection is closed|max retries per request|connect ECONNREFUSED/i
const CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH'])

export function isRedisUnavailable (err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false
  const { name, code, message } = err as { name?: unknown, code?: unknown, message?: unknown }
  if (name === 'MaxRetriesPerRequestError') return true
  if (typeof code === 'string' && CODES.has(code)) return true
  return typeof message === 'string' && MESSAGES.test(message)
}
