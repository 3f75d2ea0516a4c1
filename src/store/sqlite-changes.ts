import type SQLite from 'better-sqlite3'
import type { SqliteDatabase, SqliteStatement } from 'kysely'

/**
 * Tells when the embedded database may have changed, so that a cached read
 * can be trusted only while nothing has.
 *
 * - Writes of this process: every statement run through Kysely other than a
 *   read-only SELECT (so also BEGIN, COMMIT and ROLLBACK) moves the generation
 *   on as soon as it has run. better-sqlite3 is synchronous, so no request can
 *   read between a write and that step.
 * - Writes of other processes (the CLI, another instance on the same file):
 *   SQLite's `PRAGMA data_version` changes when another connection commits.
 *   Reading it takes a read transaction (file locks), which costs about as
 *   much as the lookup it would save, so it is read once per event-loop turn,
 *   by the first request that asks in that turn. A request read from its socket
 *   after another process committed is therefore checked against the new data,
 *   except one read in the very turn (milliseconds) in which the check was made.
 */
export interface SqliteChanges {
  /** What Kysely is given instead of the database itself: it sees every statement Kysely runs. */
  database: SqliteDatabase
  /** A number that changes whenever the database may have changed. */
  generation: () => number
}

function countingStatement (statement: SQLite.Statement, changed: () => void): SqliteStatement {
  return {
    reader: statement.reader,
    all (parameters) {
      try { return statement.all(parameters) } finally { changed() }
    },
    run (parameters) {
      try { return statement.run(parameters) } finally { changed() }
    },
    * iterate (parameters) {
      try { yield * statement.iterate(parameters) } finally { changed() }
    }
  }
}

export function trackSqliteChanges (sqlite: SQLite.Database): SqliteChanges {
  let generation = 0
  let otherProcesses = sqlite.pragma('data_version', { simple: true })
  const readDataVersion = sqlite.prepare('PRAGMA data_version').pluck()
  let checkedThisTurn = false
  const nextTurn = () => { checkedThisTurn = false }
  const changed = () => { generation++ }

  return {
    database: {
      close: () => { sqlite.close() },
      prepare (sql) {
        const statement = sqlite.prepare(sql)
        return statement.readonly && statement.reader ? statement : countingStatement(statement, changed)
      }
    },
    generation () {
      if (!checkedThisTurn) {
        checkedThisTurn = true
        setImmediate(nextTurn)
        const version = readDataVersion.get()
        if (version !== otherProcesses) {
          otherProcesses = version
          generation++
        }
      }
      return generation
    }
  }
}
