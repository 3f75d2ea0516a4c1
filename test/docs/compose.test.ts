import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseEnv } from 'node:util'
import t from 'tap'
import { parseDocument } from 'yaml'
import { EnvSchema, loadConfig } from '../../src/config.js'
import { ROOT } from '../child-process.js'
import { TEST_SECRET } from '../helper.js'

// No container engine runs here, so compose.yaml is never started in the
// tests: this parses it and checks what the README promises about it.

interface Healthcheck { test?: string[] | string }
interface Service {
  image?: string
  build?: string
  env_file?: string | string[]
  environment?: Record<string, string>
  secrets?: string[]
  depends_on?: Record<string, { condition?: string }>
  healthcheck?: Healthcheck
  ports?: string[]
}
interface Compose { services: Record<string, Service>, secrets: Record<string, { file?: string }> }

const document = parseDocument(readFileSync(join(ROOT, 'compose.yaml'), 'utf8'), { merge: true })
const compose = document.toJS() as Compose
const envExample = readFileSync(join(ROOT, '.env.example'), 'utf8')
const known = new Set(Object.keys(EnvSchema.properties))
const gatehouses = Object.entries(compose.services).filter(([name]) => name.startsWith('gatehouse'))
/** Variables whose value is a secret (the database URL holds its password); REDIS_URL is checked for one. */
const SECRET_VARIABLES = ['JWT_SECRET', 'JWT_PREVIOUS_SECRETS', 'DATABASE_URL', 'GATEHOUSE_ADMIN_PASSWORD']
const testOf = (service: Service) => [service.healthcheck?.test ?? []].flat().join(' ')

t.test('parses as YAML without errors or warnings', async t => {
  t.same(document.errors, [])
  t.same(document.warnings, [])
  t.same(Object.keys(compose.services).sort(), ['gatehouse-1', 'gatehouse-2', 'postgres', 'redis'])
})

t.test('two gatehouse instances built from the Dockerfile, on ports of their own', async t => {
  t.equal(gatehouses.length, 2)
  for (const [name, service] of gatehouses) {
    t.equal(service.build, '.', `${name} is built from the repository's Dockerfile`)
    t.equal(service.image, 'gatehouse', name)
    t.equal(service.env_file, '.env', `${name} reads .env`)
    t.equal(service.ports?.length, 1, name)
  }
  const hostPorts = gatehouses.map(([, s]) => (s.ports?.[0] ?? '').split(':')[0])
  t.same(hostPorts, ['8001', '8002'])
})

t.test('every service has a healthcheck, and the instances wait for healthy dependencies', async t => {
  for (const [name, service] of Object.entries(compose.services)) t.ok(testOf(service).length > 0, `${name} has a healthcheck`)
  t.match(testOf(compose.services.postgres as Service), /^CMD pg_isready\b/)
  t.match(testOf(compose.services.redis as Service), /^CMD redis-cli ping$/)
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
  for (const [name, service] of gatehouses) {
    t.match(testOf(service), /\/health\/ready/, `${name}: readiness, as the Dockerfile's HEALTHCHECK`)
    t.match(dockerfile, /HEALTHCHECK[\s\S]*\/health\/ready/)
    t.same(service.depends_on, { postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } }, name)
  }
})

t.test('PostgreSQL is the official image with its password from a secret file', async t => {
  const postgres = compose.services.postgres as Service
  t.match(postgres.image, /^postgres:\d+/)
  t.equal(postgres.environment?.POSTGRES_PASSWORD_FILE, '/run/secrets/postgres-password')
  t.notOk('POSTGRES_PASSWORD' in (postgres.environment ?? {}), 'no password in the environment')
  t.match(compose.services.redis?.image, /^redis:\d+/)
})

t.test('secrets are files under ./secrets (ignored by git), mounted where the *_FILE variables point', async t => {
  const gitignore = readFileSync(join(ROOT, '.gitignore'), 'utf8').split('\n')
  t.ok(gitignore.includes('secrets/'), 'secrets/ is in .gitignore')
  for (const [name, secret] of Object.entries(compose.secrets)) t.match(secret.file, /^\.\/secrets\/[\w.-]+$/, `secret ${name} is a file in ./secrets`)
  for (const [name, service] of Object.entries(compose.services)) {
    for (const secret of service.secrets ?? []) t.ok(secret in compose.secrets, `${name}: secret ${secret} is declared`)
    for (const [variable, value] of Object.entries(service.environment ?? {})) {
      if (!variable.endsWith('_FILE')) continue
      const mounted = /^\/run\/secrets\/([\w.-]+)$/.exec(value)?.[1]
      t.ok(mounted !== undefined && service.secrets?.includes(mounted), `${name}: ${variable} reads a secret the service has`)
    }
  }
  for (const [name, service] of gatehouses) {
    t.same(Object.keys(service.environment ?? {}).filter(v => v.endsWith('_FILE')).sort(),
      ['DATABASE_URL_FILE', 'GATEHOUSE_ADMIN_PASSWORD_FILE', 'JWT_SECRET_FILE'], `${name}: the database URL, the signing secret and the admin password`)
  }
})

t.test('every variable given to gatehouse is a configuration variable, and no secret is in the environment', async t => {
  for (const [name, service] of gatehouses) {
    for (const variable of Object.keys(service.environment ?? {})) {
      t.ok(known.has(variable), `${name}: ${variable} is in EnvSchema`)
      t.notOk(SECRET_VARIABLES.includes(variable), `${name}: ${variable} is not a secret`)
    }
    t.equal(service.environment?.REDIS_URL, 'redis://redis:6379', `${name}: the compose Redis, no password in the URL`)
  }
})

t.test('.env.example: every variable is a known one, explained by a comment, and the file is a valid configuration', async t => {
  const lines = envExample.split('\n')
  const variables = lines.flatMap((line, i) => {
    const name = /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1]
    return name === undefined ? [] : [{ name, comment: lines[i - 1] ?? '' }]
  })
  t.ok(variables.length >= 5)
  for (const { name, comment } of variables) {
    t.ok(known.has(name), `${name} is in EnvSchema`)
    t.match(comment, /^# /, `${name} has a comment just above it`)
    t.notOk([...SECRET_VARIABLES, 'REDIS_URL'].includes(name), `${name} is not a secret`)
  }
  const env = parseEnv(envExample)
  const config = loadConfig({ ...env, JWT_SECRET: TEST_SECRET, GATEHOUSE_ADMIN_PASSWORD_FILE: '/run/secrets/admin-password' })
  t.equal(config.production, true)
  t.equal(config.adminBootstrap?.username, 'admin')
})
