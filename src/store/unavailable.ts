/**
 * True when an error means the database cannot be reached right now (as
 * opposed to a bug): connection refused or reset, pool timeouts, a server
 * shutting down, SQLite busy. Such errors become 503 temporarily_unavailable.
 */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'SQLITE_BUSY', 'SQLITE_LOCKED'])
const MESSAGES = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|the database system is (starting up|shutting down)|terminating connection|Connection is closed/i

export function isStoreUnavailable (err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false
  const { code, message } = err as { code?: unknown, message?: unknown }
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('57P') || code.startsWith('08'))) return true
  return typeof message === 'string' && MESSAGES.test(message)
}
