import pg from 'pg'
import t, { type Test } from 'tap'
import type { Session } from '../../../src/sessions/session.js'
import { textArray } from '../../../src/store/postgres-statements.js'
import { openStore, type Store } from '../../../src/store/store.js'
import { isStoreUnavailable } from '../../../src/store/unavailable.js'
import { newRefreshToken, newSessionId } from '../../../src/tokens/refresh-tokens.js'
import { POSTGRES_URL } from '../../services.js'
import { tempDir } from '../../helper.js'
import { eachDialect } from './dialects.js'
import { postgresSchema } from './postgres-schema.js'

const NOW = 1_750_000_000_000

async function addSession (store: Store, username: string, sessionId = newSessionId(), revokedAt: number | null = null): Promise<{ session: Session, refreshHash: string }> {
  const user = await store.users.findByUsername(username) ?? await store.users.create({
    username, email: `${username}@example.test`, fullName: null, passwordHash: '$2b$04$' + 'x'.repeat(53), disabled: username.startsWith('off'), scopes: ['users:me', 'b']
  })
  const session: Session = {
    id: sessionId,
    userId: user.id,
    scopes: ['users:me'],
    authTime: Math.floor(NOW / 1000),
    createdAt: NOW,
    lastUsedAt: NOW + 5,
    expiresAt: NOW + 86_400_000,
    userAgent: null,
    ip: '::1',
    revokedAt,
    clientId: null
  }
  const refresh = newRefreshToken()
  await store.sessions.create(session, refresh.hash)
  if (revokedAt !== null) await store.sessions.revoke(session.id, revokedAt)
  return { session, refreshHash: refresh.hash }
}

eachDialect('Bearer lookup and login read give what the query-builder reads give', async (t, store) => {
  for (const [username, revokedAt] of [['alice', null], ['off-bob', NOW + 7]] as const) {
    const { session, refreshHash } = await addSession(store, username, newSessionId(), revokedAt)
    // findByRefreshHash and users.list still map rows through Kysely (toSession/toUser): the old path.
    const byRefresh = await store.sessions.findByRefreshHash(refreshHash)
    t.same(byRefresh?.refreshToken, { issuedAt: session.createdAt, usedAt: null }, `${username}: the refresh token's times`)
    // The Bearer lookup leaves out the login's methods (amr): the access token's claim carries them.
    const withoutAmr = ({ amr, ...rest }: NonNullable<typeof byRefresh>['session']) => rest
    const viaBuilder = byRefresh === undefined ? undefined : { session: withoutAmr(byRefresh.session), user: byRefresh.user }
    t.same(byRefresh?.session.amr, ['pwd'], `${username}: the login's methods, read where a token is issued`)
    const found = await store.sessions.findWithUser(session.id)
    t.same(found, viaBuilder, `${username}: the same session and user`)
    t.equal(found?.session.revokedAt, revokedAt)
    t.ok(Object.isFrozen(found?.user) && Object.isFrozen(found?.session.scopes), 'frozen: caches hand out the same objects')
    const listed = (await store.users.list({ limit: 10 })).find(u => u.username === username)
    t.same(await store.users.findByUsername(username), listed, `${username}: findByUsername`)
  }
  t.equal(await store.sessions.findWithUser('no-such-session'), undefined)
  t.equal(await store.users.findByUsername('nobody'), undefined)
})

t.test('textArray quotes every element', async t => {
  t.equal(textArray(['a', 'b"c', 'd\\e', '{x,y}']), '{"a","b\\"c","d\\\\e","{x,y}"}')
})

async function openPostgres (t: Test, poolSize: number): Promise<{ store: Store, schema: string } | undefined> {
  const pgSchema = await postgresSchema(t)
  if (pgSchema === undefined) return undefined
  const store = await openStore({ databaseUrl: pgSchema.url, dataDir: tempDir(t), poolSize })
  t.teardown(store.close)
  return { store, schema: pgSchema.schema }
}

async function admin<T> (fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL })
  await client.connect()
  try { return await fn(client) } finally { await client.end() }
}

t.test('PostgreSQL: batched lookups under load each get their own session (unknown, duplicate and odd ids too)', async t => {
  const opened = await openPostgres(t, 2)
  if (opened === undefined) return
  const { store } = opened
  const sessions: Session[] = []
  for (let i = 0; i < 20; i++) sessions.push((await addSession(store, `user${i % 5}`)).session)
  const odd = (await addSession(store, 'carol', 'a"b\\c,{d}')).session
  const ids = [...sessions.map(s => s.id), odd.id, 'unknown-1', sessions[0]?.id as string, 'un"known\\', sessions[3]?.id as string]
  // 25 lookups at once on a pool of 2: most of them wait and go in batches.
  const found = await Promise.all(ids.map(async id => await store.sessions.findWithUser(id)))
  t.same(found.map(f => f?.session.id), ids.map(id => id.startsWith('un') ? undefined : id))
  t.same(found.map(f => f?.user.id), ids.map(id => [...sessions, odd].find(s => s.id === id)?.userId))
})

t.test('PostgreSQL: the prepared statements survive a broken connection', async t => {
  const opened = await openPostgres(t, 1)
  if (opened === undefined) return
  const { store } = opened
  const { session } = await addSession(store, 'alice')
  t.equal((await store.sessions.findWithUser(session.id))?.session.id, session.id, 'prepared on the first connection')
  // A pool of one: this is the connection the statements were prepared on.
  const pid = (await (store.handle.pool as pg.Pool).query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid
  t.equal(await admin(async client => (await client.query('select pg_terminate_backend($1) as done', [pid])).rows[0]?.done), true, 'its server process ended')
  // The next lookup may fail as an outage (a 503) while the pool finds its client dead; then a new connection prepares again.
  let found
  for (let attempt = 0; attempt < 3 && found === undefined; attempt++) {
    try {
      found = await store.sessions.findWithUser(session.id)
    } catch (err) {
      t.ok(isStoreUnavailable(err), `a failure on the broken connection is an outage: ${(err as Error).message}`)
    }
  }
  t.equal(found?.session.id, session.id, 'found again on a new connection')
  t.equal((await store.users.findByUsername('alice'))?.id, session.userId)
})

t.test('PostgreSQL: a schema change that changes the result type re-prepares the statements', async t => {
  const opened = await openPostgres(t, 1)
  if (opened === undefined) return
  const { store, schema } = opened
  const { session } = await addSession(store, 'alice')
  t.equal((await store.sessions.findWithUser(session.id))?.session.id, session.id)
  t.equal((await store.users.findByUsername('alice'))?.id, session.userId)
  // varchar to text: the cached plans of both statements no longer match ("cached plan must not change result type").
  await admin(async client => {
    await client.query(`alter table ${schema}.sessions alter column scope type text`)
    await client.query(`alter table ${schema}.users alter column email type text`)
  })
  t.same((await store.sessions.findWithUser(session.id))?.session, session, 'the same connection, re-prepared')
  t.equal((await store.users.findByUsername('alice'))?.email, 'alice@example.test')
  // A statement gone from the server (DISCARD ALL, as a pooler may send) is prepared again too.
  await (store.handle.pool as pg.Pool).query('discard all')
  t.equal((await store.sessions.findWithUser(session.id))?.session.id, session.id, 'after DISCARD ALL')
})
