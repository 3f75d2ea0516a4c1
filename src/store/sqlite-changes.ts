import type SQLite from 'better-sqlite3'
import type { SqliteDatabase } from 'kysely'

/**
 * Tells when another process (the CLI, another instance on the same file) has
 * committed to the embedded database, so that the session cache, which this
 * process's own writes keep exact entry by entry (the repositories forget what
 * they touch), can be dropped wholesale then: what another process changed is
 * not known, only that something was.
 *
 * SQLite's `PRAGMA data_version` changes when another connection commits.
 * Reading it takes a read transaction (file locks), which costs about as much
 * as the lookup it would save, so it is read once per event-loop turn, by the
 * first lookup that asks in that turn. A request read from its socket after
 * another process committed is therefore checked against the new data, except
 * one read in the very turn (milliseconds) in which the check was made.
 */
export interface SqliteChanges {
  /** What Kysely is given: the connection itself. */
  database: SqliteDatabase
  /** True once for each change of data_version: another connection committed since the last true. */
  otherProcessCommitted: () => boolean
}

export function trackSqliteChanges (sqlite: SQLite.Database): SqliteChanges {
  const readDataVersion = sqlite.prepare('PRAGMA data_version').pluck()
  let seen = readDataVersion.get()
  let checkedThisTurn = false
  const nextTurn = () => { checkedThisTurn = false }

  return {
    database: sqlite,
    otherProcessCommitted () {
      if (checkedThisTurn) return false
      checkedThisTurn = true
      setImmediate(nextTurn)
      const version = readDataVersion.get()
      if (version === seen) return false
      seen = version
      return true
    }
  }
}
