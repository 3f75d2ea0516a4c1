import { existsSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { PASSWORD, tempDir } from '../helper.js'
import { baseEnv, requireBuild, runCli } from '../child-process.js'
import { openStore } from '../../src/store/store.js'

// The command line's own surface: help and usage errors. None of these opens a
// store, but each is a new Node process: on a busy 2-core machine they take a while.
t.setTimeout(300_000)

requireBuild()

/** Every command and subcommand, as words after `gatehouse`. */
const COMMANDS = [
  [], ['user'], ['user', 'add'], ['user', 'list'], ['user', 'show'], ['user', 'password'], ['user', 'unlock'], ['user', 'mfa-reset'],
  ['user', 'disable'], ['user', 'enable'], ['user', 'delete'], ['user', 'scopes'], ['user', 'import'],
  ['client'], ['client', 'add'], ['client', 'list'], ['client', 'disable'], ['client', 'enable'], ['client', 'delete'], ['client', 'rotate-secret'],
  ['secret'], ['secret', 'generate'], ['keys'], ['keys', 'generate'], ['help']
]

t.test('--help and `help <command>`: the usage on standard output, exit 0, for every command', async t => {
  const cwd = tempDir(t)
  const env = baseEnv({ DATA_DIR: join(cwd, 'never-opened') })
  for (const words of COMMANDS) {
    const [flag, named] = await Promise.all([
      runCli([...words, '--help'], { env, cwd }),
      runCli(['help', ...words], { env, cwd })
    ]) as [Awaited<ReturnType<typeof runCli>>, Awaited<ReturnType<typeof runCli>>]
    const name = ['gatehouse', ...words].join(' ')
    for (const [how, res] of [['--help', flag], ['help', named]] as const) {
      t.equal(res.code, 0, `${name} (${how}): exit 0`)
      t.equal(res.stderr, '', `${name} (${how}): nothing on standard error`)
      t.match(res.stdout, new RegExp(`^Usage: ${name} `), `${name} (${how}): its own usage`)
    }
    t.equal(flag.stdout, named.stdout, `${name}: the same help both ways`)
  }
  t.notOk(existsSync(join(cwd, 'never-opened')), 'help opens no store')
  const top = await runCli(['--help'], { env, cwd })
  for (const command of ['user', 'client', 'secret', 'keys', 'help']) t.match(top.stdout, new RegExp(`^  ${command} `, 'm'), `the top help lists ${command}`)
})

t.test('unknown options, unknown commands and missing arguments: one specific line, exit 2', async t => {
  const cwd = tempDir(t)
  const dataDir = tempDir(t)
  const env = baseEnv({ DATA_DIR: dataDir, BCRYPT_COST: '10' })
  const cases: Array<[string[], string]> = [
    [['user', 'add', 'alice', '--emial', 'a@example.com'], "gatehouse: unknown option '--emial' for 'user add' (did you mean --email?)"],
    [['user', 'add'], "gatehouse: missing required argument 'username' for 'user add'"],
    [['user', 'scopes', 'alice'], "gatehouse: missing required argument 'scopes' for 'user scopes'"],
    [['user', 'ad', 'alice'], "gatehouse: unknown command 'ad' for 'user' (did you mean add?)"],
    [['user', 'show', 'a', 'b'], "gatehouse: too many arguments for 'user show'. Expected 1 argument but got 2."],
    [['keys', 'generate', '--alg', 'ES256'], "gatehouse: required option '--out <file>' not specified for 'keys generate'"],
    [['help', 'user', 'nope'], "gatehouse: unknown command 'nope' for 'user'"],
    [['user'], "gatehouse: missing command for 'user'"],
    [['client', 'add', 'reports', '--ttl', '10m'], "gatehouse: option '--ttl <seconds>' argument '10m' is invalid for 'client add'. Expected a whole number of seconds."],
    [['client', 'rotate-secret'], "gatehouse: missing required argument 'client_id' for 'client rotate-secret'"],
    [['user', 'import', '--on-conflict', 'merge', 'users.jsonl'], "gatehouse: option '--on-conflict <mode>' argument 'merge' is invalid for 'user import'. Allowed choices are fail, skip, update."]
  ]
  const results = await Promise.all(cases.map(async ([args]) => await runCli(args, { env, cwd, stdin: `${PASSWORD}\n` })))
  cases.forEach(([args, line], i) => {
    const res = results[i]
    t.equal(res?.code, 2, `${args.join(' ')}: exit 2`)
    t.equal(res?.stderr.split('\n')[0], line, args.join(' '))
    t.equal(res?.stdout, '', `${args.join(' ')}: nothing on standard output`)
  })
  t.match(results[0]?.stderr, /^See 'gatehouse help user add'\.$/m, 'where to read the usage')
  const store = await openStore({ databaseUrl: undefined, dataDir, poolSize: 1 })
  t.teardown(async () => { await store.close() })
  t.same(await store.users.list({ limit: 1 }), [], 'nothing was created')
  t.same(await store.clients.list({ limit: 1 }), [], 'no client either')
})
