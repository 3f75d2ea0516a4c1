import http from 'node:http'
import type { Test } from 'tap'
import { openStore } from '../../src/store/store.js'
import { hashRefreshToken } from '../../src/tokens/refresh-tokens.js'
import { PASSWORD, tempDir } from '../helper.js'
import { formBody, jsonBody, request } from './http-client.js'
import { freePort, serviceEnv, sleep, startService, type Service } from '../child-process.js'

interface Chain {
  /** The last refresh token answered with 200 (or the login's). */
  latest: string
  /** A rotation was sent and had no answer when the process died: it may have committed. */
  inFlight: boolean
}

// Every client here is one IP: its share of the hashing queue must be the whole queue.
const ENV = { SIGNUP_ENABLED: 'true', HASH_QUEUE_TIMEOUT_MS: '60000', HASH_QUEUE_MAX_PER_IP: '64' }

/**
 * Registrations, logins and refresh rotations in parallel; SIGKILL mid-burst;
 * then the database is inspected and the service restarted on it.
 */
export async function killMidBurst (t: Test, databaseUrl: string | undefined): Promise<void> {
  const dataDir = tempDir(t)
  const env = serviceEnv(dataDir, await freePort(), { ...ENV, ...(databaseUrl === undefined ? {} : { DATABASE_URL: databaseUrl }) })
  const started = Date.now()
  const phase = (name: string) => { t.comment(`${name} after ${Date.now() - started} ms`) }
  const first = await startService(t, env)
  phase('started')
  const post = async (service: Service, path: string, body: { body: string, headers: Record<string, string> }, agent?: http.Agent) =>
    await request(`${service.baseUrl}${path}`, { method: 'POST', agent, ...body })
  const passwordGrant = async (service: Service, username: string, agent?: http.Agent) =>
    await post(service, '/token', formBody({ username, password: PASSWORD }), agent)

  t.equal((await post(first, '/users', jsonBody({ username: 'seed', password: PASSWORD }))).status, 201)
  const registered: string[] = []
  const loginTokens: string[] = []
  const chains: Chain[] = []
  let killed = false

  async function registrations (loop: number): Promise<void> {
    for (let i = 0; !killed; i++) {
      const username = `user${loop}x${i}`
      try {
        const res = await post(first, '/users', jsonBody({ username, password: PASSWORD }))
        if (res.status === 201) registered.push(username)
        else throw new Error(`registration answered ${res.status}: ${res.body}`)
      } catch (err) { if (!killed) throw err }
    }
  }
  async function logins (): Promise<void> {
    while (!killed) {
      try {
        const res = await passwordGrant(first, 'seed')
        if (res.status === 200) loginTokens.push(res.json<{ refresh_token: string }>().refresh_token)
        else throw new Error(`login answered ${res.status}: ${res.body}`)
      } catch (err) { if (!killed) throw err }
    }
  }
  async function refreshes (): Promise<void> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    const chain: Chain = { latest: (await passwordGrant(first, 'seed', agent)).json<{ refresh_token: string }>().refresh_token, inFlight: false }
    chains.push(chain)
    try {
      while (!killed) {
        chain.inFlight = true
        try {
          const res = await post(first, '/token', formBody({ grant_type: 'refresh_token', refresh_token: chain.latest }), agent)
          if (res.status !== 200) throw new Error(`refresh answered ${res.status}: ${res.body}`)
          chain.latest = res.json<{ refresh_token: string }>().refresh_token
          chain.inFlight = false
        } catch (err) { if (!killed) throw err }
      }
    } finally { agent.destroy() }
  }

  const burst = Promise.all([
    ...[0, 1, 2, 3].map(registrations), logins(), logins(), ...[0, 1, 2, 3, 4, 5].map(refreshes)
  ])
  const progress = () => registered.length + loginTokens.length
  for (let i = 0; i < 600 && progress() < 24; i++) await sleep(50)
  killed = true
  first.child.kill('SIGKILL')
  t.equal(await first.exited, 'SIGKILL', 'killed mid-burst')
  phase('killed')
  await burst
  t.ok(registered.length > 0 && loginTokens.length > 0 && chains.length === 6, `${registered.length} registrations, ${loginTokens.length} logins, ${chains.length} refresh chains acknowledged before the kill`)

  // The database as the crash left it (SQLite replays its WAL on open).
  const store = await openStore({ databaseUrl, dataDir, poolSize: 2 })
  try {
    const db = store.handle.db
    const users = new Set((await db.selectFrom('users').select('username').execute()).map(r => r.username))
    t.same(registered.filter(u => !users.has(u)), [], 'every acknowledged registration is stored')
    const sessions = await db.selectFrom('sessions').select(['id', 'revoked_at']).execute()
    const tokens = await db.selectFrom('refresh_tokens').select(['hash', 'session_id', 'generation', 'used_at']).execute()
    const halfWritten: string[] = []
    for (const session of sessions) {
      const own = tokens.filter(r => r.session_id === session.id).sort((a, b) => Number(a.generation) - Number(b.generation))
      const generations = own.map(r => Number(r.generation))
      if (own.length === 0) halfWritten.push(`${session.id}: no refresh token`)
      else if (generations.some((g, i) => g !== i + 1)) halfWritten.push(`${session.id}: generations ${generations.join(',')}`)
      else if (own.slice(0, -1).some(r => r.used_at === null)) halfWritten.push(`${session.id}: a token with a successor is unused`)
      else if (own.at(-1)?.used_at !== null) halfWritten.push(`${session.id}: the newest token is used`)
      if (session.revoked_at !== null) halfWritten.push(`${session.id}: revoked (no reuse should have happened)`)
    }
    t.same(halfWritten, [], `${sessions.length} sessions, each with a whole, linear refresh-token chain`)
    const byHash = new Map(tokens.map(r => [r.hash, r]))
    t.same(loginTokens.filter(token => byHash.get(hashRefreshToken(token))?.used_at !== null), [], 'every acknowledged login has its session and unused refresh token')
    for (const [i, chain] of chains.entries()) {
      const row = byHash.get(hashRefreshToken(chain.latest))
      t.ok(row !== undefined, `chain ${i}: the last acknowledged refresh token is stored`)
      if (row?.used_at !== null) t.ok(chain.inFlight, `chain ${i}: it was only consumed by a rotation in flight at the kill`)
    }
  } finally {
    await store.close()
  }

  phase('inspected')
  const second = await startService(t, { ...env, PORT: String(await freePort()) })
  phase('restarted')
  for (const username of registered) {
    t.equal((await passwordGrant(second, username)).status, 200, `${username} logs in after the restart`)
  }
  for (const [i, token] of loginTokens.entries()) {
    const rotated = await post(second, '/token', formBody({ grant_type: 'refresh_token', refresh_token: token }))
    t.equal(rotated.status, 200, `login ${i}: its refresh token rotates after the restart`)
  }
  for (const [i, chain] of chains.entries()) {
    const row = await post(second, '/token', formBody({ grant_type: 'refresh_token', refresh_token: chain.latest }))
    if (row.status !== 200 && chain.inFlight) continue // its successor was committed unanswered: checked above
    t.equal(row.status, 200, `chain ${i}: the last acknowledged refresh token is the current one`)
    const again = await post(second, '/token', formBody({ grant_type: 'refresh_token', refresh_token: row.json<{ refresh_token: string }>().refresh_token }))
    t.equal(again.status, 200, `chain ${i}: and it rotates once more`)
  }
  phase('checked')
  second.child.kill('SIGTERM')
  t.equal(await second.exited, 0)
}
