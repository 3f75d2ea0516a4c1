import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config.js'
import { tempDir, TEST_SECRET } from '../helper.js'

const problemsOf = (env: Record<string, string>): string => {
  try { loadConfig(env) } catch (err) { if (err instanceof ConfigError) return err.problems.join('\n'); throw err }
  return ''
}

t.test('DATABASE_URL_FILE, REDIS_URL_FILE and JWT_SECRET_FILE give the value as a file, without its trailing newline', async t => {
  const dir = tempDir(t)
  const file = (name: string, content: string) => { writeFileSync(join(dir, name), content); return join(dir, name) }
  const config = loadConfig({
    DATABASE_URL_FILE: file('db', 'postgres://app:pw@db:5432/app\n'),
    REDIS_URL_FILE: file('redis', 'redis://cache:6379\n'),
    JWT_SECRET_FILE: file('jwt', `${TEST_SECRET}\n`)
  })
  t.equal(config.databaseUrl, 'postgres://app:pw@db:5432/app')
  t.equal(config.redisUrl, 'redis://cache:6379')
  t.equal(config.jwt.secret, TEST_SECRET)
})

t.test('refusals name the variable and never show the content', async t => {
  const dir = tempDir(t)
  const bad = join(dir, 'bad-url')
  writeFileSync(bad, 'mysql://root:hunter2@db/app\n')
  t.match(problemsOf({ DATABASE_URL_FILE: bad }), /^DATABASE_URL: .*\(value hidden\)$/)
  t.notMatch(problemsOf({ DATABASE_URL_FILE: bad }), /hunter2/)
  t.match(problemsOf({ JWT_SECRET: TEST_SECRET, JWT_SECRET_FILE: bad }), 'JWT_SECRET, JWT_SECRET_FILE: set one of them, not both')
  t.match(problemsOf({ REDIS_URL_FILE: join(dir, 'missing') }), /REDIS_URL_FILE: cannot read .*missing \(ENOENT\)/)
  const empty = join(dir, 'empty')
  writeFileSync(empty, '\n')
  t.match(problemsOf({ JWT_SECRET_FILE: empty }), /JWT_SECRET_FILE: .*empty is empty/)
})
