import type { SessionInvalidation } from './session-cache.js'

/** The rows a write changed, as far as the session cache is concerned. */
export interface Touched {
  sessions?: readonly string[]
  users?: readonly number[]
}

const declared = new WeakSet<(...args: never[]) => unknown>()

/**
 * Every write method of a repository is declared with what it touches
 * (from its arguments or its result), and this wrapper makes the session
 * cache forget exactly that once the write has finished, before its caller
 * goes on: a logout, then a request on the same instance, is refused.
 *
 * A write that fails changed nothing (a single statement, or a transaction
 * rolled back), unless lookups can read a transaction's uncommitted rows:
 * on SQLite they run on the same connection, so a lookup between the
 * statements of a transaction that then failed may have cached rows that
 * never were; there (`uncommittedReads`) a failed write forgets everything.
 * On PostgreSQL a failure is often an overloaded database, and dropping the
 * whole cache then would only add load; a commit whose answer was lost is
 * still notified to every instance.
 */
export function declareWrites (cache: SessionInvalidation, { uncommittedReads = false } = {}) {
  function write<A extends unknown[], R> (touched: (args: A, result: R) => Touched, method: (...args: A) => Promise<R>): (...args: A) => Promise<R>
  /** `present` maps what the write returned (and `touched` read) to what the caller gets. */
  function write<A extends unknown[], I, R> (touched: (args: A, inner: I) => Touched, method: (...args: A) => Promise<I>, present: (inner: I) => R): (...args: A) => Promise<R>
  function write<A extends unknown[], I, R> (touched: (args: A, inner: I) => Touched, method: (...args: A) => Promise<I>, present?: (inner: I) => R): (...args: A) => Promise<R | I> {
    const wrapped = async (...args: A): Promise<R | I> => {
      let inner: I
      try {
        inner = await method(...args)
      } catch (err) {
        if (uncommittedReads) cache.clear()
        throw err
      }
      const { sessions = [], users = [] } = touched(args, inner)
      for (const id of sessions) cache.forgetSession(id)
      for (const id of users) cache.forgetUser(id)
      return present === undefined ? inner : present(inner)
    }
    declared.add(wrapped)
    return wrapped
  }
  return write
}

/** For the test that every method that writes was declared. */
export function isDeclaredWrite (method: unknown): boolean {
  return typeof method === 'function' && declared.has(method as (...args: never[]) => unknown)
}
