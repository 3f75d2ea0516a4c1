import { randomBytes } from 'node:crypto'
import { hash } from '@node-rs/bcrypt'
import { SQLiteDatabase as SQLite } from '../../dist/src/store/sqlite-driver.js'
import { openStore } from '../../dist/src/store/store.js'
import { loadConfig } from '../../dist/src/config.js'
import { loadKeySet } from '../../dist/src/tokens/keys.js'
import { hashRefreshToken } from '../../dist/src/tokens/refresh-tokens.js'
import { newClientSecret } from '../../dist/src/clients/client-secret.js'
import Fastify from 'fastify'
import configPlugin from '../../dist/plugins/config.js'
import jwtPlugin from '../../dist/plugins/jwt.js'

export const BENCH_PASSWORD = 'bench-password-Kq7!vX2p'
export const username = n => `user${String(n).padStart(6, '0')}`

/** One real bcrypt hash at the configured cost, shared by every seeded user (we never hash 100k times). */
export async function passwordHashAtCost (cost) {
  return await hash(BENCH_PASSWORD, cost)
}

/**
 * The rows of `userCount` seeded users, one active session each, with the
 * refresh token of each session in clear (the store keeps only its SHA-256,
 * as a real login leaves it): a bench client can refresh any seeded session.
 */
export function seedRows ({ userCount, passwordHash, now = Date.now() }) {
  const authTime = Math.floor(now / 1000)
  return Array.from({ length: userCount }, (_, i) => {
    const id = i + 1
    const name = username(id)
    const refreshToken = randomBytes(32).toString('base64url')
    return {
      user: { id, username: name, email: `${name}@example.test`, fullName: `Bench User ${id}`, passwordHash, createdAt: now },
      session: { id: randomBytes(16).toString('base64url'), authTime, createdAt: now, expiresAt: now + 30 * 86400_000 },
      refresh: { token: refreshToken, hash: hashRefreshToken(refreshToken) }
    }
  })
}

/** What the bench keeps of a seeded row: enough to mint an access token or refresh the session. */
export const seededSession = row => ({ username: row.user.username, sessionId: row.session.id, authTime: row.session.authTime, refreshToken: row.refresh.token })

/**
 * Creates and migrates the embedded store with the service's own code, then
 * bulk-inserts `userCount` users with one active session each (and one refresh
 * token per session, as a real login leaves). Returns the sessions of users
 * 1…`userCount` as [{ username, sessionId, authTime, refreshToken }] in user order.
 */
export async function seedStore ({ dataDir, userCount, passwordHash }) {
  const store = await openStore({ databaseUrl: undefined, dataDir, poolSize: 1 })
  const file = store.location
  await store.close()

  const db = new SQLite(file)
  db.pragma('journal_mode = WAL')
  const insertUser = db.prepare(`insert into users (id, username, email, full_name, password_hash, disabled, scopes, created_at, updated_at)
    values (?, ?, ?, ?, ?, 0, '', ?, ?)`)
  const insertSession = db.prepare(`insert into sessions (id, user_id, scope, auth_time, created_at, last_used_at, expires_at, user_agent, ip, revoked_at)
    values (?, ?, '', ?, ?, ?, ?, 'bench', '127.0.0.1', null)`)
  const insertRefresh = db.prepare('insert into refresh_tokens (hash, session_id, generation, created_at, used_at) values (?, ?, 1, ?, null)')
  const rows = seedRows({ userCount, passwordHash })
  db.transaction(() => {
    for (const { user, session, refresh } of rows) {
      insertUser.run(user.id, user.username, user.email, user.fullName, user.passwordHash, user.createdAt, user.createdAt)
      insertSession.run(session.id, user.id, session.authTime, session.createdAt, session.createdAt, session.expiresAt)
      insertRefresh.run(refresh.hash, session.id, session.createdAt)
    }
  })()
  db.pragma('wal_checkpoint(TRUNCATE)')
  db.close()
  return { file, sessions: rows.map(seededSession) }
}

/**
 * Registers a confidential client holding `introspect` in a seeded store,
 * with the service's own store code; returns its `Authorization: Basic` value.
 */
export async function seedIntrospector ({ dataDir, clientId = 'bench-introspector' }) {
  const store = await openStore({ databaseUrl: undefined, dataDir, poolSize: 1 })
  try {
    const { secret, hash: secretHash } = newClientSecret()
    await store.clients.create({ id: clientId, name: clientId, secretHash, grantTypes: ['client_credentials'], scopes: ['introspect'], accessTokenTtlSeconds: null, disabled: false })
    return `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`
  } finally {
    await store.close()
  }
}

/**
 * Signs access tokens exactly as the service does (its compiled JWT plugin,
 * @fastify/jwt's app.jwt.sign, same config, secret, issuer and audience) for
 * the given sessions.
 */
export async function mintTokens (env, sessions) {
  const config = loadConfig(env)
  const app = Fastify({ logger: false })
  await app.register(configPlugin, { config, keys: loadKeySet(config) })
  await app.register(jwtPlugin)
  await app.ready()
  try {
    return sessions.map(s => app.accessTokens.issue({ username: s.username, scopes: [], sessionId: s.sessionId, authTime: s.authTime }).token)
  } finally {
    await app.close()
  }
}

/** Picks `count` sessions spread evenly over all of them (one per user). */
export function spread (sessions, count) {
  const step = sessions.length / count
  return Array.from({ length: count }, (_, i) => sessions[Math.floor(i * step)])
}
