/**
 * Turns a failure to reach PostgreSQL or Redis at start into one sentence an
 * operator can act on: the variable to check, the dependency, where it was
 * looked for, and what went wrong in words (never a bare `ECONNREFUSED`).
 */
export interface Dependency {
  /** The variable that points at it, e.g. `DATABASE_URL`. */
  variable: string
  /** e.g. `PostgreSQL`. */
  name: string
  url: string
  defaultPort: number
}

export interface DependencyFailure {
  message: string
  /** false for errors that waiting cannot cure (not a connection problem): start-up fails at once. */
  retryable: boolean
}

// Socket, DNS and server error codes, as a phrase that follows "PostgreSQL at host:port".
const PHRASES: Record<string, string> = {
  ECONNREFUSED: 'refused the connection (nothing listens there yet?)',
  ENOTFOUND: 'was not found: host not found',
  EAI_AGAIN: 'was not found: the host name could not be resolved yet (DNS)',
  ETIMEDOUT: 'did not answer in time (timeout)',
  ECONNRESET: 'closed the connection',
  EPIPE: 'closed the connection',
  EHOSTUNREACH: 'cannot be reached (no route to host)',
  ENETUNREACH: 'cannot be reached (network unreachable)',
  // PostgreSQL SQLSTATEs
  '28P01': 'refused the credentials: authentication failed (user or password)',
  28000: 'refused the login: authentication failed (no such role, or not allowed by pg_hba.conf)',
  '3D000': 'has no such database: the database does not exist',
  '57P03': 'is starting up and does not accept connections yet',
  53300: 'has no free connection slot (too many connections)',
  // Redis replies
  NOAUTH: 'wants a password: authentication failed (set it in the URL)',
  WRONGPASS: 'refused the credentials: authentication failed (user or password)'
}

/** Connection-level messages without a code (pg and ioredis). */
const MESSAGE_PHRASES: Array<[RegExp, string]> = [
  [/timeout|timed out/i, 'did not answer in time (timeout)'],
  [/Connection terminated|Connection is closed/i, 'closed the connection'],
  [/^(NOAUTH|WRONGPASS)\b/, '']
]

/** The URL with its password replaced, for logs. */
export function redactUrlPassword (url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password === '') return url
    parsed.password = '***'
    return parsed.toString()
  } catch {
    return '(an unparsable URL)'
  }
}

function where (dependency: Dependency): string {
  try {
    const parsed = new URL(dependency.url)
    return `${parsed.hostname}:${parsed.port === '' ? dependency.defaultPort : parsed.port}`
  } catch {
    return 'an unparsable URL'
  }
}

function codeOf (err: unknown): string | undefined {
  const { code, errors, message } = (err ?? {}) as { code?: unknown, errors?: unknown, message?: unknown }
  if (typeof code === 'string' && code !== '') return code
  // Node's connect to a name with several addresses fails with an AggregateError of one error per address.
  if (Array.isArray(errors) && errors.length > 0) return codeOf(errors[0])
  const reply = typeof message === 'string' ? /^(NOAUTH|WRONGPASS)\b/.exec(message) : null
  return reply?.[1]
}

function phraseFor (err: unknown): string | undefined {
  const code = codeOf(err)
  if (code !== undefined && PHRASES[code] !== undefined) return PHRASES[code]
  const message = err instanceof Error ? err.message : String(err)
  return MESSAGE_PHRASES.find(([pattern, phrase]) => phrase !== '' && pattern.test(message))?.[1]
}

export function describeDependencyFailure (dependency: Dependency, err: unknown): DependencyFailure {
  const phrase = phraseFor(err)
  const at = `${dependency.variable}: ${dependency.name} at ${where(dependency)}`
  if (phrase !== undefined) return { message: `${at} ${phrase}`, retryable: true }
  // Not a connection problem: say what it was, without a URL or password that the message might hold.
  const raw = err instanceof Error ? err.message : String(err)
  const detail = raw.split(dependency.url).join(redactUrlPassword(dependency.url))
  return { message: `${at} failed: ${detail}`, retryable: false }
}
