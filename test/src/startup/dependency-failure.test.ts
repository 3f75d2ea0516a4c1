import t from 'tap'
import { describeDependencyFailure, redactUrlPassword } from '../../../src/startup/dependency-failure.js'

const postgres = { variable: 'DATABASE_URL', name: 'PostgreSQL', url: 'postgres://app:s3cret@db.internal/gatehouse', defaultPort: 5432 }
const coded = (code: string, message = 'boom') => Object.assign(new Error(message), { code })

t.test('each connection failure is a sentence naming the variable, the dependency and where', async t => {
  const cases: Array<[unknown, RegExp]> = [
    [coded('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.1:5432'), /refused the connection/],
    [coded('ENOTFOUND'), /host not found/],
    [coded('ETIMEDOUT'), /timeout/],
    [coded('28P01'), /authentication failed/],
    [coded('28000'), /authentication failed/],
    [coded('3D000'), /database does not exist/],
    [new Error('timeout expired'), /timeout/],
    [new Error('Connection terminated unexpectedly'), /closed the connection/],
    [new Error('WRONGPASS invalid username-password pair or user is disabled.'), /authentication failed/],
    [Object.assign(new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')]), { code: undefined }), /refused the connection/]
  ]
  for (const [err, phrase] of cases) {
    const failure = describeDependencyFailure(postgres, err)
    t.match(failure.message, /^DATABASE_URL: PostgreSQL at db\.internal:5432 /, String(err))
    t.match(failure.message, phrase)
    t.notMatch(failure.message, /ECONN|ENOTFOUND|s3cret/, 'no bare code, no password')
    t.equal(failure.retryable, true)
  }
})

t.test('the brief example reads as specified', async t => {
  const failure = describeDependencyFailure({ ...postgres, url: 'postgres://postgres@127.0.0.1:1/x' }, coded('ECONNREFUSED'))
  t.match(failure.message, /^DATABASE_URL: PostgreSQL at 127\.0\.0\.1:1 refused the connection/)
})

t.test('other errors are not retried and never show the password', async t => {
  const failure = describeDependencyFailure(postgres, new Error(`syntax error near ${postgres.url}`))
  t.equal(failure.retryable, false)
  t.match(failure.message, /^DATABASE_URL: PostgreSQL at db\.internal:5432 failed: syntax error near postgres:\/\/app:\*\*\*@db\.internal/)
  t.notMatch(failure.message, /s3cret/)
})

t.test('redactUrlPassword', async t => {
  t.equal(redactUrlPassword('redis://:pw@cache:6379'), 'redis://:***@cache:6379')
  t.equal(redactUrlPassword('redis://cache:6379'), 'redis://cache:6379')
  t.equal(redactUrlPassword('not a url'), '(an unparsable URL)')
})
