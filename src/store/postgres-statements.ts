import type pg from 'pg'
import { SESSION_WITH_USER_COLUMNS, sessionWithUserOf, USER_COLUMNS, userOfColumns, type SessionWithUser } from './session-columns.js'
import type { User } from './user.js'

/**
 * The hot PostgreSQL reads as named prepared statements, run straight on the
 * pool (not through Kysely, whose per-query connection handling cost about a
 * quarter of the Bearer path's CPU).
 *
 * pg's own named queries still send Describe and rebuild the row description
 * (field list and one type parser per column) on every execution. Here a
 * statement is parsed once per connection and then only Bind/Execute/Sync go
 * out: no Describe, so no RowDescription comes back; each DataRow's text
 * fields are decoded by position, by code that knows the statement's columns.
 *
 * A statement kept on a connection can fail when the schema under it changes
 * in a way that changes its result type ("cached plan must not change result
 * type", 0A000), or when it is gone from the server (26000, e.g. after
 * DISCARD ALL): it is then forgotten on that connection and run once more,
 * prepared again. Every other error, including a broken connection, is the
 * caller's (isStoreUnavailable makes outages 503s); a new connection simply
 * prepares the statement again on first use.
 */

/** A statement of ours: its name on every connection, its SQL, and how one row (text fields) becomes a value. */
interface Statement<T> {
  name: string
  text: string
  decode: (fields: ReadonlyArray<string | null>) => T
}

/** What pg's Connection (not in @types/pg) gives a Submittable; pg itself tracks prepared names in these two maps. */
interface WireConnection {
  parsedStatements: Record<string, string | undefined>
  submittedNamedStatements: Record<string, string | undefined>
  stream: { cork?: () => void, uncork?: () => void }
  close: (message: { type: 'S', name: string }) => void
  parse: (message: { name: string, text: string, types: number[] }) => void
  bind: (message: { statement: string, values: ReadonlyArray<string | null> }) => void
  execute: (message: Record<string, never>) => void
  sync: () => void
  sendCopyFail: (message: string) => void
}

const RETRY_CODES = new Set(['0A000', '26000'])

/** One execution of a statement: a pg Submittable (client.query accepts it like a Query). */
class Execution<T> {
  // Read by pg's Client: `name` keys its bookkeeping of prepared statements (parsedStatements).
  readonly name: string
  readonly text: string
  callback: ((err: Error | null, rows?: T[]) => void) | undefined
  private readonly rows: T[] = []
  private failure: Error | undefined

  constructor (private readonly statement: Statement<T>, private readonly values: ReadonlyArray<string | null>) {
    this.name = statement.name
    this.text = statement.text
  }

  submit (connection: WireConnection): void {
    const { name, text } = this.statement
    connection.stream.cork?.()
    try {
      if (connection.parsedStatements[name] === undefined && connection.submittedNamedStatements[name] === undefined) {
        // Closing a statement that does not exist is no error: this clears one left over from a failed run.
        connection.close({ type: 'S', name })
        connection.parse({ name, text, types: [] })
        connection.submittedNamedStatements[name] = text
      }
      connection.bind({ statement: name, values: this.values })
      connection.execute({})
      connection.sync()
    } finally {
      connection.stream.uncork?.()
    }
  }

  handleDataRow (message: { fields: Array<string | null> }): void {
    if (this.failure !== undefined) return
    try {
      this.rows.push(this.statement.decode(message.fields))
    } catch (err) {
      this.failure = err as Error
    }
  }

  handleError (err: Error & { code?: string }, connection: WireConnection | undefined): void {
    if (connection !== undefined && typeof err.code === 'string' && RETRY_CODES.has(err.code)) {
      delete connection.parsedStatements[this.statement.name]
    }
    this.callback?.(err)
  }

  handleReadyForQuery (): void {
    this.callback?.(this.failure ?? null, this.rows)
  }

  handleCommandComplete (): void {}
  handleRowDescription (): void {}
  handleEmptyQuery (): void {}
  handlePortalSuspended (): void {}
  handleCopyInResponse (connection: WireConnection): void { connection.sendCopyFail('No source stream defined') }
  handleCopyData (): void {}
}

/** pool.query for a Submittable with a callback (@types/pg has no such overload on the pool). */
type SubmitOnPool = (submittable: Execution<any>, callback: (err: Error | null | undefined, rows?: any[]) => void) => void

function runOnce<T> (submit: SubmitOnPool, statement: Statement<T>, values: ReadonlyArray<string | null>): Promise<T[]> {
  return new Promise((resolve, reject) => {
    // pg-pool checks a client out, runs the Submittable (with the pool's query_timeout) and releases it;
    // a client whose query failed on a broken connection is released with the error, so it is dropped.
    submit(new Execution(statement, values), (err, rows) => {
      if (err !== null && err !== undefined) reject(err)
      else resolve(rows ?? [])
    })
  })
}

async function runPrepared<T> (submit: SubmitOnPool, statement: Statement<T>, values: ReadonlyArray<string | null>): Promise<T[]> {
  try {
    return await runOnce(submit, statement, values)
  } catch (err) {
    if (!RETRY_CODES.has((err as { code?: unknown }).code as string)) throw err
    return await runOnce(submit, statement, values)
  }
}

const FIND_SESSIONS_WITH_USERS: Statement<SessionWithUser> = {
  name: 'gatehouse_find_sessions_with_users_v3',
  text: `select ${SESSION_WITH_USER_COLUMNS} from sessions as s inner join users as u on u.id = s.user_id where s.id = any($1::text[])`,
  decode: sessionWithUserOf
}

const FIND_USER_BY_USERNAME: Statement<User> = {
  name: 'gatehouse_find_user_by_username_v2',
  text: `select ${USER_COLUMNS} from users where username = $1`,
  decode: userOfColumns
}

export interface PostgresStatements {
  /** The Bearer path: a session and its user, by session id. */
  findSessionWithUser: (sessionId: string) => Promise<SessionWithUser | undefined>
  /** The login's read. */
  findUserByUsername: (username: string) => Promise<User | undefined>
}

/** A text[] parameter in PostgreSQL's array syntax, every element quoted. */
export function textArray (values: readonly string[]): string {
  return `{${values.map(value => `"${value.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`
}

interface Waiting {
  sessionId: string
  resolve: (found: SessionWithUser | undefined) => void
  reject: (err: unknown) => void
}

/**
 * The Bearer lookups, batched only under load: a lookup runs at once while
 * fewer than `maxInFlight` are running; the ones that arrive meanwhile wait
 * and go together, as one execution of the same statement (`id = any($1)`),
 * when one finishes. Every lookup is still a query sent after its request
 * arrived, so a revocation committed before that is always seen. Under load
 * this saves a round trip, a socket write and a PostgreSQL execution per
 * request; with no load it adds nothing.
 */
function batchedSessionLookup (submit: SubmitOnPool, maxInFlight: number, maxBatch = 64): (sessionId: string) => Promise<SessionWithUser | undefined> {
  let inFlight = 0
  let waiting: Waiting[] = []

  async function run (batch: Waiting[]): Promise<void> {
    try {
      const found = await runPrepared(submit, FIND_SESSIONS_WITH_USERS, [textArray(batch.map(w => w.sessionId))])
      if (batch.length === 1) {
        (batch[0] as Waiting).resolve(found[0])
      } else {
        const byId = new Map(found.map(f => [f.session.id, f]))
        for (const w of batch) w.resolve(byId.get(w.sessionId))
      }
    } catch (err) {
      for (const w of batch) w.reject(err)
    }
  }

  function pump (): void {
    while (inFlight < maxInFlight && waiting.length > 0) {
      const batch = waiting.length <= maxBatch ? waiting : waiting.slice(0, maxBatch)
      waiting = waiting.length <= maxBatch ? [] : waiting.slice(maxBatch)
      inFlight++
      void run(batch).finally(() => { inFlight--; pump() })
    }
  }

  return async (sessionId) => await new Promise((resolve, reject) => {
    waiting.push({ sessionId, resolve, reject })
    pump()
  })
}

/** `maxInFlight`: Bearer lookups running at once (the others wait to be batched); at most the pool's size. */
export function createPostgresStatements (pool: pg.Pool, maxInFlight: number): PostgresStatements {
  const submit = pool.query.bind(pool) as unknown as SubmitOnPool
  return {
    findSessionWithUser: batchedSessionLookup(submit, maxInFlight),
    findUserByUsername: async (username) => (await runPrepared(submit, FIND_USER_BY_USERNAME, [username]))[0]
  }
}
