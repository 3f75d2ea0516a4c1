import { createRequire } from 'node:module'
import type SQLite from 'better-sqlite3'

/**
 * better-sqlite3 by Node major: 13 (Node-API) from Node 22 on, 12 on Node 20.
 * 12 wraps its objects in node::ObjectWrap, whose Node 24 header removes an
 * environment cleanup hook in every destructor: a statement collected while
 * no environment is current (at exit, sometimes at start) aborts the process
 * with "Assertion failed: (env) != nullptr". 13 does not use it, but crashes
 * on Node 20. The 12 line is installed as the alias better-sqlite3-node20;
 * drop it with Node 20 support. Only the one in use is loaded (loading the
 * other's JavaScript cost about 13 ms of start-up).
 */
export const SQLITE_PACKAGE = Number(process.versions.node.split('.')[0]) >= 22 ? 'better-sqlite3' : 'better-sqlite3-node20'

export const SQLiteDatabase = createRequire(import.meta.url)(SQLITE_PACKAGE) as typeof SQLite
