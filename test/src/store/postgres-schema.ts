import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { needPostgres, POSTGRES_URL } from '../../services.js'
import type { Test } from 'tap'

/** A URL whose connections use `schema` first on their search_path (libpq's `options` parameter). */
export function urlWithSchema (schema: string): string {
  const separator = POSTGRES_URL.includes('?') ? '&' : '?'
  return `${POSTGRES_URL}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}`
}

async function withClient<T> (fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL })
  await client.connect()
  try { return await fn(client) } finally { await client.end() }
}

/**
 * A fresh, empty schema on the shared test database for this run, dropped
 * (with everything in it) in teardown. Resolves undefined when PostgreSQL is
 * not reachable (the test was skipped, or failed under CI).
 */
export async function postgresSchema (t: Test): Promise<{ url: string, schema: string } | undefined> {
  if (!await needPostgres(t)) return undefined
  const schema = `gh_${randomBytes(6).toString('hex')}`
  await withClient(async client => { await client.query(`create schema ${schema}`) })
  t.teardown(async () => { await withClient(async client => { await client.query(`drop schema if exists ${schema} cascade`) }) })
  return { url: urlWithSchema(schema), schema }
}

/** Table names in a schema, sorted. */
export async function tablesIn (schema: string): Promise<string[]> {
  return await withClient(async client => {
    const result = await client.query<{ table_name: string }>(
      'select table_name from information_schema.tables where table_schema = $1 order by table_name', [schema])
    return result.rows.map(r => r.table_name)
  })
}

/**
 * postgresSchema, used through a login role of its own (created here, dropped
 * in teardown): a test can then keep that role's new connections out
 * (`alter role … nologin`) or end exactly its connections, whatever else runs
 * on the shared server. `adminUrl` connects as the superuser, to the schema.
 */
export async function postgresSchemaWithRole (t: Test): Promise<{ url: string, adminUrl: string, schema: string, role: string } | undefined> {
  const created = await postgresSchema(t)
  if (created === undefined) return undefined
  const { schema } = created
  const role = `gh_r_${randomBytes(5).toString('hex')}`
  await withClient(async client => {
    await client.query(`create role ${role} login`)
    await client.query(`grant all on schema ${schema} to ${role}`)
  })
  // Whichever of the two teardowns runs first, the role's connections end before it is dropped.
  t.teardown(async () => {
    await withClient(async client => {
      await client.query(`alter role ${role} nologin`)
      await client.query('select pg_terminate_backend(pid) from pg_stat_activity where usename = $1', [role])
      await client.query(`drop schema if exists ${schema} cascade`)
      await client.query(`drop owned by ${role}`)
      await client.query(`drop role ${role}`)
    })
  })
  const url = new URL(created.url)
  url.username = role
  return { url: url.toString(), adminUrl: created.url, schema, role }
}
