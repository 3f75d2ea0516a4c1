import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../app.js'
import { loadConfig, type Config } from '../src/config.js'
import { loadKeySet } from '../src/tokens/keys.js'
import { newClientSecret } from '../src/clients/client-secret.js'
import type { NewClient } from '../src/store/client.js'
import type { Test } from 'tap'

export const TEST_SECRET = 'test-secret-9f8e7d6c5b4a39281706f5e4d3c2b1a0-abcdef'
export const PASSWORD = 'Sturdy-Lamp-Orbit-42'

export function tempDir (t: Test, prefix = 'gatehouse-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}

/**
 * A configuration for tests: a fresh SQLite file in a temp dir, a fixed
 * secret, no general rate limit, bcrypt at its minimum cost (4) and argon2 at 1 MiB, 1 pass, so the
 * suite stays fast; the cost rule itself is tested in config tests.
 */
export function testConfig (t: Test, env: Record<string, string> = {}): Config {
  const config = loadConfig({ DATA_DIR: tempDir(t), JWT_SECRET: TEST_SECRET, RATE_LIMIT_MAX: '0', ...env })
  if (env.BCRYPT_COST === undefined) config.passwords.bcryptCost = 4
  if (env.ARGON2_MEMORY_KIB === undefined) config.passwords.argon2 = { memoryKib: 1024, iterations: 1, parallelism: 1 }
  return config
}

export async function build (t: Test, env: Record<string, string> = {}, adjust?: (config: Config) => void): Promise<FastifyInstance> {
  const config = testConfig(t, env)
  adjust?.(config)
  const app = await buildApp({ config, keys: loadKeySet(config), logger: false })
  t.teardown(async () => { await app.close() })
  return app
}

export async function addUser (app: FastifyInstance, username: string, options: { scopes?: string[], password?: string, disabled?: boolean } = {}): Promise<void> {
  await app.userService.register({ username, password: options.password ?? PASSWORD, scopes: options.scopes ?? [], disabled: options.disabled ?? false })
}

/**
 * Registers an OAuth client straight in the store (confidential unless
 * `public`); returns its secret. Defaults: client_credentials with the
 * `introspect` scope.
 */
export async function addClient (app: FastifyInstance, clientId: string, options: Partial<Omit<NewClient, 'id' | 'secretHash'>> & { public?: boolean } = {}): Promise<string | undefined> {
  const { public: isPublic = false, ...rest } = options
  const secret = isPublic ? undefined : newClientSecret()
  await app.store.clients.create({
    id: clientId,
    name: clientId,
    grantTypes: ['client_credentials'],
    scopes: ['introspect'],
    accessTokenTtlSeconds: null,
    disabled: false,
    ...rest,
    secretHash: secret?.hash ?? null
  })
  return secret?.secret
}

/** `Authorization: Basic …` for a client (RFC 6749 §2.3.1: both parts form-urlencoded first). */
export function basicAuth (clientId: string, secret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+')
  return 'Basic ' + Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')
}

export interface Tokens {
  access_token: string
  refresh_token: string
  token_type: string
  expires_in: number
  scope: string
}

export function form (fields: Record<string, string>): { payload: string, headers: Record<string, string> } {
  return { payload: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } }
}

export async function login (app: FastifyInstance, username: string, password = PASSWORD, extra: Record<string, string> = {}): Promise<Tokens> {
  const res = await app.inject({ method: 'POST', url: '/token', ...form({ username, password, ...extra }) })
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`)
  return res.json()
}

export async function refresh (app: FastifyInstance, refreshToken: string, extra: Record<string, string> = {}) {
  return await app.inject({ method: 'POST', url: '/token', ...form({ grant_type: 'refresh_token', refresh_token: refreshToken, ...extra }) })
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

export async function me (app: FastifyInstance, token: string) {
  return await app.inject({ method: 'GET', url: '/users/me', headers: bearer(token) })
}
