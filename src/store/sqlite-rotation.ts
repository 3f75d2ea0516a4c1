import type SQLite from 'better-sqlite3'
import type { Kysely } from 'kysely'
import type { Database } from './schema.js'
import type { RotationResult, SessionWithUser } from './sessions-repository.js'

type Rotate = (presentedHash: string, nextHash: string, accept: (found: SessionWithUser) => boolean, now: number) => Promise<RotationResult>

/**
 * The refresh rotation on the embedded database: the same steps as the
 * Kysely transaction of sessions-repository.ts, as statements compiled and
 * prepared once and run in one synchronous better-sqlite3 transaction. Building
 * and compiling five Kysely queries per refresh was most of a refresh grant's
 * CPU (docs/benchmark.md); and with no await between the steps, no lookup can
 * read the rotation half done. Kysely's connection is held meanwhile, so no
 * Kysely transaction can be open around it.
 */
export function embeddedRotation (db: Kysely<Database>, sqlite: SQLite.Database, findSql: string, split: (row: any) => SessionWithUser): Rotate {
  const prepare = (compiled: { sql: string }) => sqlite.prepare(compiled.sql)
  const find = sqlite.prepare(findSql)
  const claim = prepare(db.updateTable('refresh_tokens').set({ used_at: 0 }).where('hash', '=', '').where('used_at', 'is', null).compile())
  const revoke = prepare(db.updateTable('sessions').set({ revoked_at: 0 }).where('id', '=', '').where('revoked_at', 'is', null).compile())
  const insertNext = prepare(db.insertInto('refresh_tokens').values({ hash: '', session_id: '', generation: 0, created_at: 0, used_at: null }).compile())
  const touch = prepare(db.updateTable('sessions').set({ last_used_at: 0 }).where('id', '=', '').compile())

  const rotate = sqlite.transaction((presentedHash: string, nextHash: string, accept: (found: SessionWithUser) => boolean, now: number): RotationResult => {
    const row = find.get(presentedHash) as { generation: number, used_at: number | null } | undefined
    if (row === undefined) return { kind: 'unknown' }
    const { session, user } = split(row)
    if (row.used_at === null && !accept({ session, user })) return { kind: 'refused', session, user }
    const claimed = row.used_at === null && claim.run(now, presentedHash).changes === 1
    if (!claimed) {
      revoke.run(now, session.id)
      return { kind: 'reused', session, user }
    }
    const generation = Number(row.generation) + 1
    insertNext.run(nextHash, session.id, generation, now, null)
    touch.run(now, session.id)
    return { kind: 'rotated', session: { ...session, lastUsedAt: now }, user, generation }
  })

  return async (presentedHash, nextHash, accept, now) =>
    await db.connection().execute(async () => rotate.immediate(presentedHash, nextHash, accept, now))
}
