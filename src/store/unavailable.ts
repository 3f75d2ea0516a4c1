/**
 * True when an error means the database cannot serve this request right now
 * (as opposed to a bug): such errors become 503 temporarily_unavailable.
 * - PostgreSQL: connection refused or reset, pool timeouts, a server shutting
 *   down or starting up (57P…), connection failures (08…), insufficient
 *   resources such as a full disk or too many connections (53…), an I/O error
 *   (58030), a read-only standby after a failover (25006).
 * - SQLite (better-sqlite3 reports extended codes, e.g. SQLITE_IOERR_WRITE):
 *   busy or locked, the disk full, the file or its filesystem read-only, an I/O
 *   error, a file that cannot be opened (its directory gone or unwritable).
 */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH'])
const POSTGRES_CODES = /^(57P|08|53)|^(58030|25006)$/
const SQLITE_CODES = /^SQLITE_(BUSY|LOCKED|FULL|READONLY|IOERR|CANTOPEN|PROTOCOL)(_|$)/
const MESSAGES = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|the database system is (starting up|shutting down)|terminating connection|Connection is closed/i

export function isStoreUnavailable (err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false
  const { code, message } = err as { code?: unknown, message?: unknown }
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || POSTGRES_CODES.test(code) || SQLITE_CODES.test(code))) return true
  return typeof message === 'string' && MESSAGES.test(message)
}
