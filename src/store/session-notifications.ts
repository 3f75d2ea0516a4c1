import type pg from 'pg'
import { LISTENER_CHANNEL_SQL } from './migrations.js'
import type { SessionCache } from './session-cache.js'

/** How the listening connection shows in pg_stat_activity. */
export const LISTENER_APPLICATION_NAME = 'gatehouse-session-cache'

export interface SessionNotificationsOptions {
  url: string
  /** Only forgets and switches it: the lookups are the repository's. */
  cache: Omit<SessionCache<never>, 'get'>
  /** Told once per outage: the cache is off (every lookup reads the database) until `onListening`. */
  onLost: (err: Error) => void
  /** Told when LISTEN is in place (at start and after each outage): the cache is on again. */
  onListening: () => void
  /** A silent connection (a network cut gives no error) is taken for lost when a ping is not answered in time. */
  pingEveryMs?: number
  pingTimeoutMs?: number
  retryMinMs?: number
  retryMaxMs?: number
}

export interface SessionNotifications {
  readonly listening: boolean
  /** The listening connection's backend pid while listening (operations and tests). */
  readonly backendPid: number | undefined
  close: () => Promise<void>
}

const quoteIdentifier = (name: string) => `"${name.replaceAll('"', '""')}"`

/**
 * Keeps a PostgreSQL session cache right across instances. The triggers of
 * migration 005 notify, at commit, every session and user row changed by
 * anyone (an instance, the CLI, manual SQL); this dedicated connection (not
 * one of the pool's) LISTENs and forgets what each notification names.
 *
 * While it is not listening, nothing would tell the cache about other
 * writers, so the cache is suspended: dropped wholesale and every lookup
 * reads the database. It is resumed (empty) only once LISTEN is back, so any
 * change made during the outage is read fresh. Reconnection backs off from
 * `retryMinMs` to `retryMaxMs` and never gives up; nothing here can crash the
 * process.
 */
export async function listenForSessionChanges (options: SessionNotificationsOptions): Promise<SessionNotifications> {
  const { default: pg } = await import('pg')
  const { cache, url } = options
  const pingEveryMs = options.pingEveryMs ?? 1000
  const pingTimeoutMs = options.pingTimeoutMs ?? 2000
  const retryMinMs = options.retryMinMs ?? 100
  const retryMaxMs = options.retryMaxMs ?? 5000

  let closed = false
  let client: pg.Client | undefined
  let listening = false
  let backendPid: number | undefined
  let failures = 0
  let outageTold = false
  let retry: NodeJS.Timeout | undefined
  let ping: NodeJS.Timeout | undefined

  const notified = (payload: string | undefined) => {
    if (payload?.startsWith('s:') === true) cache.forgetSession(payload.slice(2))
    else if (payload?.startsWith('u:') === true && /^\d+$/.test(payload.slice(2))) cache.forgetUser(Number(payload.slice(2)))
    else cache.clear() // '*' (a truncate), or anything not understood
  }

  function connect (): void {
    retry = undefined
    if (closed) return
    const connection = new pg.Client({ connectionString: url, application_name: LISTENER_APPLICATION_NAME, keepAlive: true, connectionTimeoutMillis: 3000 })
    client = connection
    let gone = false
    let pingSentAt: number | undefined

    const lost = (err: unknown) => {
      if (gone) return
      gone = true
      cache.suspend()
      listening = false
      backendPid = undefined
      if (ping !== undefined) clearInterval(ping)
      ping = undefined
      if (client === connection) client = undefined
      connection.end().catch(() => {})
      if (closed) return
      if (!outageTold) {
        outageTold = true
        options.onLost(err instanceof Error ? err : new Error(String(err)))
      }
      const delay = Math.min(retryMaxMs, retryMinMs * 2 ** failures++)
      retry = setTimeout(connect, delay * (0.5 + Math.random() / 2))
      retry.unref()
    }

    // Every event of this connection is handled for its whole life: an unhandled 'error' would end the process.
    connection.on('error', lost)
    connection.on('end', () => { lost(new Error('the listening connection ended')) })
    connection.on('notification', (message) => { notified(message.payload) })

    const listen = async () => {
      await connection.connect()
      const { rows } = await connection.query<{ channel: string | null }>(LISTENER_CHANNEL_SQL)
      const channel = rows[0]?.channel
      if (channel === null || channel === undefined) throw new Error('PostgreSQL: no schema on the search_path exists')
      const { rows: [pid] } = await connection.query<{ pid: number }>('select pg_backend_pid() as pid')
      await connection.query(`LISTEN ${quoteIdentifier(channel)}`)
      return pid?.pid
    }
    listen().then((pid) => {
      if (gone || closed) return
      cache.resume()
      listening = true
      backendPid = pid
      failures = 0
      outageTold = false
      options.onListening()
      ping = setInterval(() => {
        if (pingSentAt !== undefined) {
          if (Date.now() - pingSentAt > pingTimeoutMs) lost(new Error(`the listening connection did not answer a ping within ${pingTimeoutMs} ms`))
          return
        }
        pingSentAt = Date.now()
        connection.query('select 1').then(() => { pingSentAt = undefined }, lost)
      }, pingEveryMs)
      ping.unref()
    }, lost)
  }

  connect()

  return {
    get listening () { return listening },
    get backendPid () { return backendPid },
    async close () {
      closed = true
      if (retry !== undefined) clearTimeout(retry)
      if (ping !== undefined) clearInterval(ping)
      cache.suspend()
      await client?.end().catch(() => {})
    }
  }
}
