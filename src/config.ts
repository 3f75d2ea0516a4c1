import { availableParallelism } from 'node:os'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { parseEnv } from 'node:util'
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { readFileVariables } from './file-variables.js'
import { sqliteFileOf } from './store/sqlite-url.js'
import { parseTrustProxy, type TrustProxy } from './trust-proxy.js'
import { canonicalUsername, isValidUsername, USERNAME_RULE } from './users/username.js'
import { memoryLimitBytes } from './passwords/memory-limit.js'
import { OUTBOX_TIMING, type OutboxTiming } from './mail/outbox-worker.js'
import { encryptionKeysProblem } from './mfa/secret-box.js'

const Int = (minimum: number, maximum: number, def: number) => Type.Integer({ minimum, maximum, default: def })
const Str = (def?: string) => def === undefined ? Type.Optional(Type.String({ minLength: 1 })) : Type.String({ default: def })

/** Every environment variable the service reads. Names are the variable names. */
export const EnvSchema = Type.Object({
  NODE_ENV: Type.String({ default: 'development' }),
  HOST: Str('127.0.0.1'),
  PORT: Int(0, 65535, 8000),
  PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://[^\\s/]+(/[^\\s]*)?$', expected: 'an http(s) URL such as https://auth.example.com' })),
  DATA_DIR: Str('./data'),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^(postgres|postgresql)://|^sqlite:.', expected: 'postgres://user:pass@host:5432/db, or sqlite:/path/to/file.sqlite' })),
  DATABASE_URL_FILE: Str(),
  DATABASE_POOL_SIZE: Int(1, 200, 4),
  POSTGRES_SESSION_CACHE: Type.Boolean({ default: false }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://', expected: 'redis://host:6379 (or rediss:// for TLS)' })),
  REDIS_URL_FILE: Str(),
  REDIS_KEY_PREFIX: Type.String({ default: 'gatehouse:', minLength: 1, maxLength: 100, pattern: '^\\S+$', expected: '1 to 100 characters without spaces' }),
  JWT_ALGORITHM: Type.Union([Type.Literal('HS256'), Type.Literal('RS256'), Type.Literal('ES256'), Type.Literal('EdDSA')], { default: 'HS256' }),
  JWT_SECRET: Str(),
  JWT_SECRET_FILE: Str(),
  JWT_PREVIOUS_SECRETS: Str(),
  JWT_PRIVATE_KEY_FILE: Str(),
  JWT_PREVIOUS_KEY_FILES: Str(),
  JWT_AUDIENCE: Str('gatehouse'),
  ACCESS_TOKEN_EXPIRE_MINUTES: Int(1, 1440, 15),
  JWKS_MAX_AGE_SECONDS: Int(0, 86400, 300),
  REFRESH_TOKEN_EXPIRE_DAYS: Int(1, 365, 30),
  SESSION_IDLE_DAYS: Int(1, 365, 7),
  AUTH_CACHE_SIZE: Int(0, 1000000, 5000),
  PASSWORD_HASH: Type.Union([Type.Literal('bcrypt'), Type.Literal('argon2id')], { default: 'bcrypt' }),
  BCRYPT_COST: Int(10, 15, 12),
  ARGON2_MEMORY_KIB: Int(8192, 1048576, 65536),
  ARGON2_ITERATIONS: Int(1, 16, 3),
  ARGON2_PARALLELISM: Int(1, 16, 4),
  HASH_CONCURRENCY: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
  HASH_RESERVED_SLOTS: Int(0, 64, 1),
  HASH_NICE: Int(0, 19, 10),
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
  STARTUP_TIMEOUT_SECONDS: Int(0, 3600, 60),
  GATEHOUSE_ADMIN_USERNAME: Str(),
  GATEHOUSE_ADMIN_PASSWORD_FILE: Str(),
  GATEHOUSE_ADMIN_PASSWORD: Str(),
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://[^\\s/?#]+/?$', expected: 'smtp://user:pass@host:587 (STARTTLS when offered) or smtps://user:pass@host:465' })),
  SMTP_URL_FILE: Str(),
  SMTP_TLS_REJECT_UNAUTHORIZED: Type.Boolean({ default: true }),
  MAIL_FROM: Type.Optional(Type.String({ minLength: 3, maxLength: 320, pattern: '^[^\\r\\n]*@[^\\r\\n]*$', expected: 'an address such as "Gatehouse <no-reply@example.com>" (one line)' })),
  MAIL_MAX_ATTEMPTS: Int(1, 100, 8),
  APP_RESET_URL: Type.Optional(Type.String({ pattern: '^https?://[^\\s]*\\{token\\}[^\\s]*$', expected: 'an http(s) URL with {token} in it, such as https://app.example.com/reset?token={token}' })),
  APP_VERIFY_URL: Type.Optional(Type.String({ pattern: '^https?://[^\\s]*\\{token\\}[^\\s]*$', expected: 'an http(s) URL with {token} in it, such as https://app.example.com/verify?token={token}' })),
  PASSWORD_RESET_TTL_MINUTES: Int(5, 1440, 30),
  PASSWORD_RESET_MAX_PER_ADDRESS: Int(1, 1000, 3),
  PASSWORD_RESET_MAX_PER_IP: Int(1, 1000000, 30),
  PASSWORD_RESET_WINDOW_MINUTES: Int(1, 1440, 60),
  EMAIL_VERIFICATION_TTL_HOURS: Int(1, 720, 48),
  EMAIL_VERIFICATION_REQUIRED: Type.Boolean({ default: false }),
  MFA_ENCRYPTION_KEY: Str(),
  MFA_ENCRYPTION_KEY_FILE: Str(),
  MFA_ISSUER: Type.String({ default: 'gatehouse', minLength: 1, maxLength: 64, pattern: '^[^:\\r\\n]+$', expected: '1 to 64 characters without a colon (the name authenticator apps show)' }),
  ADMIN_REQUIRES_MFA: Type.Boolean({ default: false }),
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
    /** Cache-Control max-age of the JWKS document: how long verifiers may keep it (docs/keys.md, rotation). */
    jwksMaxAgeSeconds: number
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
    /** The largest argon2 memory cost a stored (imported) hash may ask for: the memory rule's share per hashing slot. */
    argon2MaxMemoryKib: number
    /** Hashing slots beyond hashConcurrency for a client IP with no hash running (src/passwords/hash-limiter.ts). */
    hashReservedSlots: number
    /** HASH_NICE: the priority (nice value) of the threads of the regular hashing slots; 0: libuv's pool. */
    hashNice: number
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
  /** How long start-up keeps trying to reach PostgreSQL and Redis (0: one attempt). */
  startupTimeoutSeconds: number
  /** The first admin, created at start when no user exists (src/users/admin-bootstrap.ts). */
  adminBootstrap: AdminBootstrapSettings | undefined
  /** Verified access tokens, and sessions read with their user, remembered on the Bearer path (0: none). */
  authCacheSize: number
  mail: MailSettings
  account: AccountSettings
  mfa: MfaSettings
}

/** The second factor (src/mfa). */
export interface MfaSettings {
  /** MFA_ENCRYPTION_KEY as given (the first encrypts, all decrypt); empty: generated in DATA_DIR in development. */
  encryptionKeys: string[]
  /** The issuer in the otpauth URI: the account's name in authenticator apps. */
  issuer: string
  /** Admin routes refuse tokens whose login had no second factor (401 insufficient_user_authentication). */
  adminRequiresMfa: boolean
}

/** Password reset and email verification (src/account). */
export interface AccountSettings {
  /** The front end's reset page, `{token}` replaced by the token; undefined: the mail carries the token alone. */
  resetUrl: string | undefined
  /** The front end's verification page, `{token}` replaced by the token; undefined: the mail carries the token alone. */
  verifyUrl: string | undefined
  passwordResetTtlSeconds: number
  /** Reset requests per submitted address and per client IP in a window (over: 429), and confirmations with a bad token per IP. */
  passwordResetLimits: { maxPerAddress: number, maxPerIp: number, windowSeconds: number }
  emailVerificationTtlSeconds: number
  /** The password grant refuses users whose email is not verified; open sign-up requires an email. */
  emailVerificationRequired: boolean
}

export interface MailSettings {
  /** Holds the SMTP password: never logged. Undefined: mail goes to the log (development) or stays in the outbox (production). */
  smtpUrl: string | undefined
  tlsRejectUnauthorized: boolean
  from: string
  /** Attempts per mail, after which it is kept as failed. */
  maxAttempts: number
  /** Not variables: the worker's fixed timing (tests shorten it). */
  timing: OutboxTiming
}

/** The sender when MAIL_FROM is not set (only allowed without SMTP_URL: the development log). */
export const DEVELOPMENT_MAIL_FROM = 'Gatehouse <gatehouse@localhost>'

export interface AdminBootstrapSettings {
  /** Canonical (NFKC, lower case). */
  username: string
  /** Exactly one of the two is set. */
  passwordFile: string | undefined
  /** From the environment: works, with a warning at start. */
  password: string | undefined
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

/** What a variable's schema accepts, in words: `expected one of HS256, RS256, ES256, EdDSA`. */
function expectation (schema: TSchema | undefined, fallback: string): string {
  if (schema === undefined) return fallback
  if (typeof schema.expected === 'string') return `expected ${schema.expected}`
  if (Array.isArray(schema.anyOf) && schema.anyOf.every((s: TSchema) => s.const !== undefined)) {
    return `expected one of ${schema.anyOf.map((s: TSchema) => String(s.const)).join(', ')}`
  }
  if (schema.type === 'integer') {
    const { minimum, maximum } = schema as { minimum?: number, maximum?: number }
    return minimum !== undefined && maximum !== undefined ? `expected a whole number from ${minimum} to ${maximum}` : 'expected a whole number'
  }
  if (schema.type === 'boolean') return 'expected true or false'
  return fallback
}

function describe (name: string, message: string, raw: Record<string, string | undefined>): string {
  const value = raw[name]
  // Secrets, key paths and connection URLs (which may hold a password) are never echoed.
  const shown = value === undefined ? '' : /SECRET|KEY(?!_PREFIX)|PASSWORD(?!_HASH)|_URL$/.test(name) ? ' (value hidden)' : ` (got ${JSON.stringify(value)})`
  return `${name}: ${message}${shown}`
}

const variableOf = (path: string): string => path.replace(/^\//, '').split('/')[0] ?? path

/** A sqlite: DATABASE_URL must name a file in an existing folder: a typo should not create a stray database. */
function sqliteFolderProblem (databaseUrl: string | undefined): string | undefined {
  const file = databaseUrl === undefined ? undefined : sqliteFileOf(databaseUrl)
  if (file === undefined) return undefined
  const folder = dirname(resolve(file))
  const isFolder = existsSync(folder) && statSync(folder).isDirectory()
  return isFolder ? undefined : `DATABASE_URL: the folder ${folder} does not exist (create it first; only the default store in DATA_DIR is created for you)`
}

/**
 * Validates the environment once, at start. Throws a ConfigError naming every
 * bad variable. Secrets and keys are resolved later (src/tokens/keys.ts)
 * because that needs file access and the data folder.
 */
export function loadConfig (givenEnv: Record<string, string | undefined>, system = { memoryLimitBytes }): Config {
  const fromFiles = readFileVariables(givenEnv)
  if (fromFiles.problems.length > 0) throw new ConfigError(fromFiles.problems)
  const rawEnv = { ...givenEnv, ...fromFiles.values }
  const known = Object.keys(EnvSchema.properties)
  const raw: Record<string, unknown> = {}
  for (const name of known) {
    const value = rawEnv[name]
    if (value !== undefined && value !== '') raw[name] = value
  }
  const converted = Value.Default(EnvSchema, Value.Convert(EnvSchema, { ...raw }))
  const properties: Record<string, TSchema> = EnvSchema.properties
  const bad = new Map<string, string>()
  for (const e of Value.Errors(EnvSchema, converted)) {
    const name = variableOf(e.path)
    if (!bad.has(name)) bad.set(name, expectation(properties[name], e.message))
  }
  // Value.Convert turns "1.5" into 1 for an integer: a fraction is refused, not rounded.
  for (const [name, schema] of Object.entries(properties)) {
    const value = raw[name]
    if ((schema.type === 'integer' || schema.anyOf?.[0]?.type === 'integer') && typeof value === 'string' && !/^\s*[+-]?\d+\s*$/.test(value) && !bad.has(name)) {
      bad.set(name, expectation(schema, 'expected a whole number'))
    }
  }
  if (bad.size > 0) throw new ConfigError([...bad].map(([name, message]) => describe(name, message, rawEnv)))
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
  const sqliteProblem = sqliteFolderProblem(env.DATABASE_URL)
  if (sqliteProblem !== undefined) extra.push(sqliteProblem)
  const trustProxy = parseTrustProxy(env.TRUST_PROXY)
  for (const problem of trustProxy.problems) {
    extra.push(`TRUST_PROXY: ${problem}; use false, a hop count (1), or a comma list of proxy addresses/CIDRs`)
  }
  const adminBootstrap = adminBootstrapSettings(env, extra)
  if (env.SMTP_URL !== undefined && env.MAIL_FROM === undefined) {
    extra.push('MAIL_FROM: set the sender of the mails too (such as "Gatehouse <no-reply@example.com>") when SMTP_URL is set')
  }
  if (production && env.SMTP_URL === undefined && (env.SIGNUP_ENABLED || env.EMAIL_VERIFICATION_REQUIRED)) {
    const why = [env.SIGNUP_ENABLED ? 'SIGNUP_ENABLED' : '', env.EMAIL_VERIFICATION_REQUIRED ? 'EMAIL_VERIFICATION_REQUIRED' : ''].filter(w => w !== '').join(' and ')
    extra.push(`SMTP_URL: required in production with ${why}=true (users must receive their verification and reset mails); set SMTP_URL and MAIL_FROM`)
  }
  if (env.MFA_ENCRYPTION_KEY !== undefined) {
    const problem = encryptionKeysProblem(env.MFA_ENCRYPTION_KEY)
    if (problem !== undefined) extra.push(problem)
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
      accessTokenTtlSeconds: env.ACCESS_TOKEN_EXPIRE_MINUTES * 60,
      jwksMaxAgeSeconds: env.JWKS_MAX_AGE_SECONDS
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
      argon2MaxMemoryKib: Math.floor(system.memoryLimitBytes() / 2 / hashConcurrency / 1024),
      hashReservedSlots: env.HASH_RESERVED_SLOTS,
      hashNice: env.HASH_NICE,
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
    startupTimeoutSeconds: env.STARTUP_TIMEOUT_SECONDS,
    adminBootstrap,
    authCacheSize: env.AUTH_CACHE_SIZE,
    mail: {
      smtpUrl: env.SMTP_URL,
      tlsRejectUnauthorized: env.SMTP_TLS_REJECT_UNAUTHORIZED,
      from: env.MAIL_FROM ?? DEVELOPMENT_MAIL_FROM,
      maxAttempts: env.MAIL_MAX_ATTEMPTS,
      timing: { ...OUTBOX_TIMING }
    },
    account: {
      resetUrl: env.APP_RESET_URL,
      verifyUrl: env.APP_VERIFY_URL,
      passwordResetTtlSeconds: env.PASSWORD_RESET_TTL_MINUTES * 60,
      passwordResetLimits: {
        maxPerAddress: env.PASSWORD_RESET_MAX_PER_ADDRESS,
        maxPerIp: env.PASSWORD_RESET_MAX_PER_IP,
        windowSeconds: env.PASSWORD_RESET_WINDOW_MINUTES * 60
      },
      emailVerificationTtlSeconds: env.EMAIL_VERIFICATION_TTL_HOURS * 3600,
      emailVerificationRequired: env.EMAIL_VERIFICATION_REQUIRED
    },
    mfa: {
      encryptionKeys: list(env.MFA_ENCRYPTION_KEY),
      issuer: env.MFA_ISSUER,
      adminRequiresMfa: env.ADMIN_REQUIRES_MFA
    }
  }
}

function adminBootstrapSettings (env: Env, problems: string[]): AdminBootstrapSettings | undefined {
  const { GATEHOUSE_ADMIN_USERNAME: raw, GATEHOUSE_ADMIN_PASSWORD_FILE: passwordFile, GATEHOUSE_ADMIN_PASSWORD: password } = env
  if (raw === undefined && passwordFile === undefined && password === undefined) return undefined
  if (passwordFile !== undefined && password !== undefined) {
    problems.push('GATEHOUSE_ADMIN_PASSWORD, GATEHOUSE_ADMIN_PASSWORD_FILE: set one of them, not both')
  }
  if (raw === undefined) {
    problems.push(`${passwordFile !== undefined ? 'GATEHOUSE_ADMIN_PASSWORD_FILE' : 'GATEHOUSE_ADMIN_PASSWORD'}: set GATEHOUSE_ADMIN_USERNAME too (the admin to create)`)
    return undefined
  }
  if (passwordFile === undefined && password === undefined) {
    problems.push('GATEHOUSE_ADMIN_USERNAME: set GATEHOUSE_ADMIN_PASSWORD_FILE (or GATEHOUSE_ADMIN_PASSWORD) too')
  }
  const username = canonicalUsername(raw)
  if (!isValidUsername(username)) problems.push(`GATEHOUSE_ADMIN_USERNAME: use ${USERNAME_RULE} (got ${JSON.stringify(raw)})`)
  return { username, passwordFile, password }
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
