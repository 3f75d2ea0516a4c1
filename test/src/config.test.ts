import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { configError } from './config-problem.js'
import { loadConfig, readEnvironment } from '../../src/config.js'
import { loadKeySet } from '../../src/tokens/keys.js'
import { tempDir, TEST_SECRET } from '../helper.js'

const TUTORIAL_SECRET = '09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7'

t.test('defaults with nothing set', async t => {
  const config = loadConfig({})
  t.equal(config.production, false)
  t.equal(config.host, '127.0.0.1')
  t.equal(config.port, 8000)
  t.equal(config.publicUrl, 'http://localhost:8000')
  t.equal(config.dataDir, './data')
  t.equal(config.databaseUrl, undefined)
  t.equal(config.redisUrl, undefined)
  t.equal(config.jwt.algorithm, 'HS256')
  t.equal(config.jwt.secret, undefined)
  t.equal(config.jwt.audience, 'gatehouse')
  t.equal(config.jwt.accessTokenTtlSeconds, 15 * 60)
  t.equal(config.sessions.absoluteTtlSeconds, 30 * 86400)
  t.equal(config.sessions.idleTtlSeconds, 7 * 86400)
  t.equal(config.sessions.reauthMaxAgeSeconds, 15 * 60)
  t.equal(config.sessions.refreshTokenCookie, false)
  t.equal(config.passwords.bcryptCost, 12)
  t.same(config.cors, { origins: [], credentials: false })
  t.equal(config.signupEnabled, false)
  t.same(config.loginLimits, { maxFailuresPerUser: 10, maxFailuresPerIp: 100, windowSeconds: 900, maxLockoutSeconds: 3600, maxCounterEntries: 100000 })
  t.equal(config.tls, undefined)
  t.equal(config.trustProxy, false)
  t.equal(config.logLevel, 'info')
})

t.test('values are converted from strings', async t => {
  const config = loadConfig({
    PORT: '9000',
    PUBLIC_URL: 'https://auth.example.com/',
    BCRYPT_COST: '10',
    SIGNUP_ENABLED: 'true',
    CORS_ORIGINS: 'https://a.example, https://b.example',
    CORS_CREDENTIALS: 'true',
    ACCESS_TOKEN_EXPIRE_MINUTES: '5'
  })
  t.equal(config.port, 9000)
  t.equal(config.publicUrl, 'https://auth.example.com', 'trailing slash dropped')
  t.equal(config.passwords.bcryptCost, 10)
  t.equal(config.signupEnabled, true)
  t.same(config.cors, { origins: ['https://a.example', 'https://b.example'], credentials: true })
  t.equal(config.jwt.accessTokenTtlSeconds, 300)
  t.equal(loadConfig({ PORT: '9000' }).publicUrl, 'http://localhost:9000', 'PUBLIC_URL follows PORT')
})

t.test('each bad variable is named in one ConfigError', async t => {
  const err = configError(() => loadConfig({ PORT: 'eighty', BCRYPT_COST: '9', LOG_LEVEL: 'loud', JWT_ALGORITHM: 'none', DATABASE_URL: 'mysql://x' }))
  for (const name of ['PORT', 'BCRYPT_COST', 'LOG_LEVEL', 'JWT_ALGORITHM', 'DATABASE_URL']) {
    t.match(err.message, new RegExp(`^  - ${name}: `, 'm'), `${name} is named`)
    t.ok(err.problems.some(p => p.startsWith(`${name}:`)), `${name} is a listed problem`)
  }
  t.notMatch(err.message, /SIGNUP_ENABLED/, 'good variables are not named')
  t.match(configError(() => loadConfig({ BCRYPT_COST: '16' })).message, /BCRYPT_COST/)
  t.match(configError(() => loadConfig({ SIGNUP_ENABLED: 'maybe' })).message, /SIGNUP_ENABLED/)
  t.match(configError(() => loadConfig({ CORS_ORIGINS: 'https://a.example/path' })).message, /CORS_ORIGINS/)
  t.match(configError(() => loadConfig({ TLS_CERT_FILE: '/x.pem' })).message, /TLS_CERT_FILE, TLS_KEY_FILE/)
})

t.test('a bad value is told what is allowed', async t => {
  const problems = configError(() => loadConfig({
    JWT_ALGORITHM: 'HS999', LOG_LEVEL: 'loud', REDIS_FAIL_MODE: 'ajar', PORT: '99999', ACCESS_TOKEN_EXPIRE_MINUTES: '1.5', SIGNUP_ENABLED: 'yes', DATABASE_URL: 'mysql://x'
  })).problems
  t.same(problems, [
    'PORT: expected a whole number from 0 to 65535 (got "99999")',
    'DATABASE_URL: expected postgres://user:pass@host:5432/db, or sqlite:/path/to/file.sqlite (value hidden)',
    'JWT_ALGORITHM: expected one of HS256, RS256, ES256, EdDSA (got "HS999")',
    'SIGNUP_ENABLED: expected true or false (got "yes")',
    'REDIS_FAIL_MODE: expected one of open, closed (got "ajar")',
    'LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent (got "loud")',
    'ACCESS_TOKEN_EXPIRE_MINUTES: expected a whole number from 1 to 1440 (got "1.5")'
  ], 'one line per variable, naming the allowed values')
  t.equal(loadConfig({ ACCESS_TOKEN_EXPIRE_MINUTES: ' 20 ' }).jwt.accessTokenTtlSeconds, 1200, 'whole numbers still convert')
})

t.test('a sqlite: DATABASE_URL needs an existing folder; it is never created', async t => {
  const dir = tempDir(t)
  for (const url of [`sqlite:${dir}/x.sqlite`, `sqlite://${dir}/x.sqlite`]) t.equal(loadConfig({ DATABASE_URL: url }).databaseUrl, url)
  const missing = join(dir, 'no-such-folder')
  const err = configError(() => loadConfig({ DATABASE_URL: `sqlite:${missing}/x.sqlite` }))
  t.same(err.problems, [`DATABASE_URL: the folder ${missing} does not exist (create it first; only the default store in DATA_DIR is created for you)`])
  t.throws(() => statSync(missing), 'nothing was created')
})

t.test('secret values are never echoed in the error', async t => {
  const err = configError(() => loadKeySet(loadConfig({ JWT_SECRET: 'short-secret-value', DATA_DIR: tempDir(t) })))
  t.match(err.message, /JWT_SECRET/)
  t.notMatch(err.message, /short-secret-value/)
})

t.test('production refusals', async t => {
  const production = (env: Record<string, string>) => loadKeySet(loadConfig({ NODE_ENV: 'production', DATA_DIR: tempDir(t), ...env }))

  t.match(configError(() => production({})).message, /JWT_SECRET: required when NODE_ENV=production/, 'missing secret')
  t.match(configError(() => production({ JWT_SECRET: TUTORIAL_SECRET })).message, /JWT_SECRET: this is a published example secret/, 'tutorial secret')
  t.match(configError(() => production({ JWT_SECRET: 'your-secret-key' })).message, /JWT_SECRET: this is a published example secret/, 'your-secret-key')
  t.match(configError(() => production({ JWT_SECRET: 'Zq8#kL2!mN4$pR6' })).message, /JWT_SECRET: must be at least 32 bytes \(got 15\)/, 'short secret')
  t.match(configError(() => production({ JWT_SECRET: 'x'.repeat(31) + 'y' })).message, /JWT_SECRET: has too little variety/, 'low-variety secret')
  t.match(configError(() => loadConfig({ NODE_ENV: 'production', CORS_ORIGINS: '*', CORS_CREDENTIALS: 'true' })).message,
    /CORS_CREDENTIALS: credentials cannot be combined with the wildcard origin/, 'credentials with a wildcard origin')

  const keys = production({ JWT_SECRET: TEST_SECRET })
  t.equal(keys.algorithm, 'HS256')
  t.equal(keys.generatedSecretFile, undefined, 'a good secret is used as given')
  t.ok(loadConfig({ NODE_ENV: 'production', CORS_ORIGINS: '*' }), 'a wildcard without credentials is allowed')
  t.ok(loadConfig({ NODE_ENV: 'production', CORS_ORIGINS: 'https://app.example', CORS_CREDENTIALS: 'true' }), 'credentials to a listed origin are allowed')
})

t.test('development: a secret is generated in DATA_DIR with mode 0600 and reused', async t => {
  const dir = join(tempDir(t), 'data')
  const first = loadKeySet(loadConfig({ DATA_DIR: dir }))
  const file = join(dir, 'jwt-secret')
  t.equal(first.generatedSecretFile, file)
  t.equal(statSync(file).mode & 0o777, 0o600)
  const secret = readFileSync(file, 'utf8').trim()
  t.ok(Buffer.byteLength(secret) >= 32, 'at least 32 bytes')
  t.equal(first.current.signKey, secret)

  const second = loadKeySet(loadConfig({ DATA_DIR: dir }))
  t.equal(second.current.signKey, secret, 'the same secret on the next load')
  t.equal(second.current.kid, first.current.kid)
})

t.test('.env is read and the real environment wins', async t => {
  const dir = tempDir(t)
  const file = join(dir, '.env')
  writeFileSync(file, 'PORT=9100\nLOG_LEVEL=debug\n# a comment\nSIGNUP_ENABLED=true\n')
  const env = readEnvironment({ LOG_LEVEL: 'warn' }, file)
  t.equal(env.PORT, '9100')
  t.equal(env.LOG_LEVEL, 'warn', 'real environment wins')
  const config = loadConfig(env)
  t.equal(config.port, 9100)
  t.equal(config.logLevel, 'warn')
  t.equal(config.signupEnabled, true)
  t.same(readEnvironment({ PORT: '1' }, join(dir, 'missing.env')), { PORT: '1' }, 'no file, no problem')
})

t.test('a bad connection URL is named but never echoed (it may carry a password)', async t => {
  const err = t.throws(() => loadConfig({ DATABASE_URL: 'postgress://app:hunter2-db@db/app', REDIS_URL: 'http://:hunter2-redis@cache' })) as Error
  t.match(err.message, /DATABASE_URL/)
  t.match(err.message, /REDIS_URL/)
  t.notMatch(err.message, /hunter2/)
  t.match(err.message, /value hidden/)
})

t.test('TRUST_PROXY: false, a hop count, a list of proxy addresses/CIDRs, or true', async t => {
  t.equal(loadConfig({}).trustProxy, false)
  t.equal(loadConfig({ TRUST_PROXY: 'false' }).trustProxy, false)
  t.equal(loadConfig({ TRUST_PROXY: '0' }).trustProxy, false)
  t.equal(loadConfig({ TRUST_PROXY: '1' }).trustProxy, 1, 'a hop count, not true')
  t.equal(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2)
  t.equal(loadConfig({ TRUST_PROXY: 'true' }).trustProxy, true)
  t.same(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,fd00::/8, ::1, loopback' }).trustProxy,
    ['10.0.0.0/8', '127.0.0.1', 'fd00::/8', '::1', 'loopback'])
  for (const bad of ['10.0.0.0/33', '10.0.0.0/8,proxy.internal', '300.1.1.1', 'fd00::/129', '10.0.0.0/x', 'yes', '1000']) {
    const err = configError(() => loadConfig({ TRUST_PROXY: bad }))
    t.match(err.message, /^ {2}- TRUST_PROXY: .*use false, a hop count \(1\), or a comma list of proxy addresses\/CIDRs/m, `${bad} is refused`)
  }
  t.match(configError(() => loadConfig({ TRUST_PROXY: '10.0.0.0/33' })).message, /"10\.0\.0\.0\/33" has a bad prefix length/)
})
