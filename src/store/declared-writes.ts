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
 * goes on: a logout, then a request on the same instance, is refused. A
 * write that fails forgets everything: what it changed before it failed is
 * not known (on SQLite a lookup between the statements of a transaction
 * reads the same connection's uncommitted rows), and failures are rare.
 */
export function declareWrites (cache: SessionInvalidation) {
  function write<A extends unknown[], R> (touched: (args: A, result: R) => Touched, method: (...args: A) => Promise<R>): (...args: A) => Promise<R>
  /** `present` maps what the write returned (and `touched` read) to what the caller gets. */
  function write<A extends unknown[], I, R> (touched: (args: A, inner: I) => Touched, method: (...args: A) => Promise<I>, present: (inner: I) => R): (...args: A) => Promise<R>
  function write<A extends unknown[], I, R> (touched: (args: A, inner: I) => Touched, method: (...args: A) => Promise<I>, present?: (inner: I) => R): (...args: A) => Promise<R | I> {
    const wrapped = async (...args: A): Promise<R | I> => {
      let inner: I
      try {
        inner = await method(...args)
      } catch (err) {
        cache.clear()
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
