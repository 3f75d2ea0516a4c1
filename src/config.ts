import { availableParallelism } from 'node:os'
import { existsSync, readFileSync } from 'node:fs'
import { parseEnv } from 'node:util'
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { parseTrustProxy, type TrustProxy } from './trust-proxy.js'
import { memoryLimitBytes } from './passwords/memory-limit.js'

const Int = (minimum: number, maximum: number, def: number) => Type.Integer({ minimum, maximum, default: def })
const Str = (def?: string) => def === undefined ? Type.Optional(Type.String({ minLength: 1 })) : Type.String({ default: def })

/** Every environment variable the service reads. Names are the variable names. */
export const EnvSchema = Type.Object({
  NODE_ENV: Type.String({ default: 'development' }),
  HOST: Str('127.0.0.1'),
  PORT: Int(0, 65535, 8000),
  PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://[^\\s/]+(/[^\\s]*)?$' })),
  DATA_DIR: Str('./data'),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^(postgres|postgresql|sqlite)://' })),
  DATABASE_POOL_SIZE: Int(1, 200, 4),
  POSTGRES_SESSION_CACHE: Type.Boolean({ default: false }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  REDIS_KEY_PREFIX: Type.String({ default: 'gatehouse:', minLength: 1, maxLength: 100, pattern: '^\\S+$' }),
  JWT_ALGORITHM: Type.Union([Type.Literal('HS256'), Type.Literal('RS256'), Type.Literal('ES256'), Type.Literal('EdDSA')], { default: 'HS256' }),
  JWT_SECRET: Str(),
  JWT_PREVIOUS_SECRETS: Str(),
  JWT_PRIVATE_KEY_FILE: Str(),
  JWT_PREVIOUS_KEY_FILES: Str(),
  JWT_AUDIENCE: Str('gatehouse'),
  ACCESS_TOKEN_EXPIRE_MINUTES: Int(1, 1440, 15),
  REFRESH_TOKEN_EXPIRE_DAYS: Int(1, 365, 30),
  SESSION_IDLE_DAYS: Int(1, 365, 7),
  AUTH_CACHE_SIZE: Int(0, 1000000, 5000),
  PASSWORD_HASH: Type.Union([Type.Literal('bcrypt'), Type.Literal('argon2id')], { default: 'bcrypt' }),
  BCRYPT_COST: Int(10, 15, 12),
  ARGON2_MEMORY_KIB: Int(8192, 1048576, 65536),
  ARGON2_ITERATIONS: Int(1, 16, 3),
  ARGON2_PARALLELISM: Int(1, 16, 4),
  HASH_CONCURRENCY: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
  HASH_QUEUE_MAX: Int(0, 100000, 64),
  HASH_QUEUE_MAX_PER_IP: Int(0, 100000, 8),
  HASH_QUEUE_TIMEOUT_MS: Int(1, 60000, 2000),
  CORS_ORIGINS: Type.String({ default: '' }),
  CORS_CREDENTIALS: Type.Boolean({ default: false }),
  SIGNUP_ENABLED: Type.Boolean({ default: false }),
  DOCS_ENABLED: Type.Boolean({ default: true }),
  LOGIN_MAX_FAILURES_PER_USER: Int(1, 100000, 10),
  LOGIN_MAX_FAILURES_PER_IP: Int(1, 1000000, 100),
  LOGIN_FAILURE_WINDOW_SECONDS: Int(1, 86400, 900),
  LOGIN_LOCKOUT_MAX_SECONDS: Int(1, 604800, 3600),
  LOGIN_COUNTERS_MAX_ENTRIES: Int(10, 10000000, 100000),
  RATE_LIMIT_MAX: Int(0, 10000000, 1000),
  RATE_LIMIT_WINDOW_SECONDS: Int(1, 3600, 60),
  REDIS_FAIL_MODE: Type.Union([Type.Literal('open'), Type.Literal('closed')], { default: 'closed' }),
  REFRESH_TOKEN_COOKIE: Type.Boolean({ default: false }),
  REAUTH_MAX_AGE_MINUTES: Int(1, 1440, 15),
  TLS_CERT_FILE: Str(),
  TLS_KEY_FILE: Str(),
  TRUST_PROXY: Type.String({ default: 'false' }),
  METRICS_PORT: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map(l => Type.Literal(l)), { default: 'info' })
})
type Env = Static<typeof EnvSchema>

export interface Config {
  production: boolean
  host: string
  port: number
  publicUrl: string
  dataDir: string
  databaseUrl: string | undefined
  databasePoolSize: number
  /** PostgreSQL: cache the Bearer lookup, kept right across instances by LISTEN/NOTIFY (docs/scale-out.md). */
  postgresSessionCache: boolean
  redisUrl: string | undefined
  /** Every Redis key starts with this, so several deployments (or test runs) can share one Redis. */
  redisKeyPrefix: string
  redisFailMode: 'open' | 'closed'
  jwt: {
    algorithm: 'HS256' | 'RS256' | 'ES256' | 'EdDSA'
    secret: string | undefined
    previousSecrets: string[]
    privateKeyFile: string | undefined
    previousKeyFiles: string[]
    audience: string
    accessTokenTtlSeconds: number
  }
  sessions: {
    absoluteTtlSeconds: number
    idleTtlSeconds: number
    reauthMaxAgeSeconds: number
    refreshTokenCookie: boolean
  }
  passwords: {
    /** The scheme of new hashes; hashes of the other scheme still verify and are re-hashed at login. */
    scheme: 'bcrypt' | 'argon2id'
    bcryptCost: number
    argon2: { memoryKib: number, iterations: number, parallelism: number }
    hashConcurrency: number
    hashQueueMax: number
    /** Waiters at most from one client IP: the queue is shared round-robin between IPs. */
    hashQueueMaxPerIp: number
    hashQueueTimeoutMs: number
  }
  cors: { origins: string[], credentials: boolean }
  signupEnabled: boolean
  /** Swagger UI at /docs and the OpenAPI document at /docs/json (404 when off). */
  docsEnabled: boolean
  loginLimits: {
    maxFailuresPerUser: number
    maxFailuresPerIp: number
    windowSeconds: number
    /** Escalation stops doubling the window here (never below windowSeconds). */
    maxLockoutSeconds: number
    /** Bound of the in-process counters (without Redis). */
    maxCounterEntries: number
  }
  rateLimit: { max: number, windowSeconds: number }
  tls: { certFile: string, keyFile: string } | undefined
  /** Fastify's trustProxy: false, a hop count, proxy addresses/CIDRs, or true (every hop: warned about at start). */
  trustProxy: TrustProxy
  /** Port of the separate Prometheus listener on `host`; undefined turns it off. */
  metricsPort: number | undefined
  logLevel: string
  /** Verified access tokens, and sessions read with their user, remembered on the Bearer path (0: none). */
  authCacheSize: number
}

export class ConfigError extends Error {
  readonly problems: string[]
  constructor (problems: string[]) {
    super('Invalid configuration:\n' + problems.map(p => `  - ${p}`).join('\n'))
    this.name = 'ConfigError'
    this.problems = problems
  }
}

const list = (value: string | undefined): string[] =>
  (value ?? '').split(',').map(s => s.trim()).filter(s => s.length > 0)

/** Reads `.env` from the working directory; real environment variables win. */
export function readEnvironment (env: NodeJS.ProcessEnv = process.env, envFile = '.env'): Record<string, string | undefined> {
  const fromFile = existsSync(envFile) ? parseEnv(readFileSync(envFile, 'utf8')) : {}
  return { ...fromFile, ...env }
}

function describe (path: string, message: string, raw: Record<string, string | undefined>): string {
  const name = path.replace(/^\//, '').split('/')[0] ?? path
  const value = raw[name]
  // Secrets, key paths and connection URLs (which may hold a password) are never echoed.
  const shown = value === undefined ? '' : /SECRET|KEY|_URL$/.test(name) ? ' (value hidden)' : ` (got ${JSON.stringify(value)})`
  return `${name}: ${message}${shown}`
}

/**
 * Validates the environment once, at start. Throws a ConfigError naming every
 * bad variable. Secrets and keys are resolved later (src/tokens/keys.ts)
 * because that needs file access and the data folder.
 */
export function loadConfig (rawEnv: Record<string, string | undefined>, system = { memoryLimitBytes }): Config {
  const known = Object.keys(EnvSchema.properties)
  const raw: Record<string, unknown> = {}
  for (const name of known) {
    const value = rawEnv[name]
    if (value !== undefined && value !== '') raw[name] = value
  }
  const converted = Value.Default(EnvSchema, Value.Convert(EnvSchema, raw))
  const problems = [...Value.Errors(EnvSchema, converted)]
    .map(e => describe(e.path, e.message, rawEnv))
  const uniqueProblems = [...new Set(problems)]
  if (uniqueProblems.length > 0) throw new ConfigError(uniqueProblems)
  const env = converted as Env

  const production = env.NODE_ENV === 'production'
  const corsOrigins = list(env.CORS_ORIGINS)
  const extra: string[] = []
  if (corsOrigins.includes('*') && env.CORS_CREDENTIALS) {
    extra.push('CORS_CREDENTIALS: credentials cannot be combined with the wildcard origin "*" in CORS_ORIGINS')
  }
  for (const origin of corsOrigins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) extra.push(`CORS_ORIGINS: "${origin}" is not an origin (scheme://host[:port], no path)`)
  }
  if ((env.TLS_CERT_FILE === undefined) !== (env.TLS_KEY_FILE === undefined)) {
    extra.push('TLS_CERT_FILE, TLS_KEY_FILE: set both or neither')
  }
  if (env.SESSION_IDLE_DAYS > env.REFRESH_TOKEN_EXPIRE_DAYS) {
    extra.push('SESSION_IDLE_DAYS: must not exceed REFRESH_TOKEN_EXPIRE_DAYS')
  }
  if (env.METRICS_PORT !== undefined && env.METRICS_PORT === env.PORT) {
    extra.push('METRICS_PORT: must differ from PORT (metrics are served on their own listener)')
  }
  const trustProxy = parseTrustProxy(env.TRUST_PROXY)
  for (const problem of trustProxy.problems) {
    extra.push(`TRUST_PROXY: ${problem}; use false, a hop count (1), or a comma list of proxy addresses/CIDRs`)
  }
  const hashConcurrency = env.HASH_CONCURRENCY ?? defaultHashConcurrency()
  const argon2Problem = argon2MemoryProblem(hashConcurrency, env.ARGON2_MEMORY_KIB, system.memoryLimitBytes())
  if (argon2Problem !== undefined) extra.push(argon2Problem)
  if (extra.length > 0) throw new ConfigError(extra)

  const publicUrl = (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, '')
  return {
    production,
    host: env.HOST,
    port: env.PORT,
    publicUrl,
    dataDir: env.DATA_DIR,
    databaseUrl: env.DATABASE_URL,
    databasePoolSize: env.DATABASE_POOL_SIZE,
    postgresSessionCache: env.POSTGRES_SESSION_CACHE,
    redisUrl: env.REDIS_URL,
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
    redisFailMode: env.REDIS_FAIL_MODE,
    jwt: {
      algorithm: env.JWT_ALGORITHM,
      secret: env.JWT_SECRET,
      previousSecrets: list(env.JWT_PREVIOUS_SECRETS),
      privateKeyFile: env.JWT_PRIVATE_KEY_FILE,
      previousKeyFiles: list(env.JWT_PREVIOUS_KEY_FILES),
      audience: env.JWT_AUDIENCE,
      accessTokenTtlSeconds: env.ACCESS_TOKEN_EXPIRE_MINUTES * 60
    },
    sessions: {
      absoluteTtlSeconds: env.REFRESH_TOKEN_EXPIRE_DAYS * 86400,
      idleTtlSeconds: env.SESSION_IDLE_DAYS * 86400,
      reauthMaxAgeSeconds: env.REAUTH_MAX_AGE_MINUTES * 60,
      refreshTokenCookie: env.REFRESH_TOKEN_COOKIE
    },
    passwords: {
      scheme: env.PASSWORD_HASH,
      bcryptCost: env.BCRYPT_COST,
      argon2: { memoryKib: env.ARGON2_MEMORY_KIB, iterations: env.ARGON2_ITERATIONS, parallelism: env.ARGON2_PARALLELISM },
      // bcrypt runs on libuv's thread pool; one core is left to the event loop
      // so that a login flood cannot starve token checks (docs/benchmark.md).
      hashConcurrency,
      hashQueueMax: env.HASH_QUEUE_MAX,
      hashQueueMaxPerIp: env.HASH_QUEUE_MAX_PER_IP,
      hashQueueTimeoutMs: env.HASH_QUEUE_TIMEOUT_MS
    },
    cors: { origins: corsOrigins, credentials: env.CORS_CREDENTIALS },
    signupEnabled: env.SIGNUP_ENABLED,
    docsEnabled: env.DOCS_ENABLED,
    loginLimits: {
      maxFailuresPerUser: env.LOGIN_MAX_FAILURES_PER_USER,
      maxFailuresPerIp: env.LOGIN_MAX_FAILURES_PER_IP,
      windowSeconds: env.LOGIN_FAILURE_WINDOW_SECONDS,
      maxLockoutSeconds: Math.max(env.LOGIN_FAILURE_WINDOW_SECONDS, env.LOGIN_LOCKOUT_MAX_SECONDS),
      maxCounterEntries: env.LOGIN_COUNTERS_MAX_ENTRIES
    },
    rateLimit: { max: env.RATE_LIMIT_MAX, windowSeconds: env.RATE_LIMIT_WINDOW_SECONDS },
    tls: env.TLS_CERT_FILE !== undefined && env.TLS_KEY_FILE !== undefined
      ? { certFile: env.TLS_CERT_FILE, keyFile: env.TLS_KEY_FILE }
      : undefined,
    trustProxy: trustProxy.value,
    metricsPort: env.METRICS_PORT,
    logLevel: env.LOG_LEVEL,
    authCacheSize: env.AUTH_CACHE_SIZE
  }
}

function defaultHashConcurrency (): number {
  return Math.max(1, availableParallelism() - 1)
}

const MIB = 1024 * 1024

/**
 * Argon2 memory is native (outside the V8 heap) and counts in RSS: each
 * hashing slot can hold one ARGON2_MEMORY_KIB buffer. They must fit in half of
 * the memory limit, leaving the other half to Node, the caches and the rest.
 * Checked with bcrypt configured too: refusals do argon2 work as soon as an
 * argon2 hash is stored (src/passwords/password-hasher.ts).
 */
function argon2MemoryProblem (hashConcurrency: number, memoryKib: number, limitBytes: number): string | undefined {
  const neededBytes = hashConcurrency * memoryKib * 1024
  if (neededBytes <= limitBytes / 2) return undefined
  return `HASH_CONCURRENCY, ARGON2_MEMORY_KIB: ${hashConcurrency} concurrent hashes × ${memoryKib} KiB = ` +
    `${Math.round(neededBytes / MIB)} MiB of argon2 memory, more than half of the ${Math.round(limitBytes / MIB)} MiB memory limit ` +
    '(cgroup memory.max, else the RAM); lower one of them'
}
