import t from 'tap'
import { importUsers, parseImport, type ImportOptions } from '../../../src/users/user-import.js'
import type { Store } from '../../../src/store/store.js'
import { eachDialect } from '../store/dialects.js'

// Hashes gatehouse can verify: the FastAPI tutorial's published bcrypt and argon2id hashes of "secret".
const BCRYPT = '$2b$12$EixZaYVK1fsbw1ZfbX3OXePaWxn96p36WQoeG6Lruj3vjPGga31lW'
const ARGON2ID = '$argon2id$v=19$m=65536,t=3,p=4$wagCPXjifgvUFBzq4hqe3w$CYaIb8sB+wtD+Vu/P4uod1+Qof8h+1g7bbDlBID48Rc'

const record = (username: string, extra: Record<string, unknown> = {}) =>
  ({ username, email: `${username}@example.com`, full_name: `${username} Doe`, disabled: false, hashed_password: BCRYPT, ...extra })
const jsonl = (...records: unknown[]) => records.map(r => JSON.stringify(r)).join('\n') + '\n'
const FAIL: ImportOptions = { onConflict: 'fail', dryRun: false }

async function run (store: Store, text: string, options: ImportOptions = FAIL) {
  const { records, errors } = parseImport(text)
  return await importUsers(store, records, options, errors)
}

t.test('parseImport: JSON Lines (blank lines skipped, line numbers kept) or a JSON array', async t => {
  const lines = parseImport('{"username":"a"}\n\n  \n{"username":"b"}\nnot json\n')
  t.same(lines.records.map(r => r.line), [1, 4])
  t.same(lines.errors, [{ line: 5, error: 'not valid JSON' }])
  const array = parseImport('\uFEFF [{"username":"a"}, {"username":"b"}]')
  t.same(array.records, [{ line: 1, value: { username: 'a' } }, { line: 2, value: { username: 'b' } }])
  t.match(parseImport('[{"username":').errors, [{ line: 1, error: /not valid JSON/ }])
})

eachDialect('import: creates every user with its hash kept as it is', async (t, store) => {
  const report = await run(store, jsonl(record('Alice', { scopes: ['users:admin', 'items:read'] }), record('bob', { hashed_password: ARGON2ID, disabled: true, email: null })))
  t.same(report, { created: 2, updated: 0, skipped: 0, revoked_sessions: 0, dry_run: false, errors: [] })
  t.match(await store.users.findByUsername('alice'), { email: 'Alice@example.com', fullName: 'Alice Doe', passwordHash: BCRYPT, scopes: ['items:read', 'users:admin'], disabled: false })
  t.match(await store.users.findByUsername('bob'), { email: null, passwordHash: ARGON2ID, disabled: true, scopes: [] })
})

eachDialect('import: every bad record is reported and nothing is written', async (t, store) => {
  await store.users.create({ username: 'taken', email: null, fullName: null, passwordHash: BCRYPT, disabled: false, scopes: [] })
  const text = jsonl(
    record('good'),
    record('md5user', { hashed_password: '5f4dcc3b5aa765d61d8327deb882cf99' }),
    record('x'),
    record('GOOD'),
    record('taken', { full_name: 'Someone else' }),
    record('lowcost', { hashed_password: BCRYPT.replace('$12$', '$03$') }),
    record('mail', { email: 'not-an-address' }),
    record('scoped', { scopes: ['has space'] }),
    { email: 'x@example.com' }
  ) + '{oops\n'
  const report = await run(store, text)
  t.same(report.errors.map(e => [e.line, e.username]), [[2, 'md5user'], [3, 'x'], [4, 'good'], [5, 'taken'], [6, 'lowcost'], [7, 'mail'], [8, 'scoped'], [9, undefined], [10, undefined]])
  t.match(report.errors, [
    { error: /unknown hash format/ },
    { error: /bad username/ },
    { error: /duplicate: the same username as line 1/ },
    { error: /duplicate: a user with this username already exists/ },
    { error: /unknown hash format/ },
    { error: /bad email/ },
    { error: /bad scopes/ },
    { error: /username: expected a string/ },
    { error: /not valid JSON/ }
  ])
  t.match(report, { created: 0, updated: 0, skipped: 0 })
  t.equal(await store.users.findByUsername('good'), undefined, 'the good record was not written either')
})

eachDialect('import: --dry-run writes nothing; a re-run is idempotent; on-conflict skip, fail and update', async (t, store) => {
  const text = jsonl(record('carol'), record('dave'))
  t.match(await run(store, text, { onConflict: 'fail', dryRun: true }), { created: 2, dry_run: true, errors: [] })
  t.equal(await store.users.findByUsername('carol'), undefined, 'dry run wrote nothing')

  t.match(await run(store, text), { created: 2 })
  const carol = await store.users.findByUsername('carol')
  for (const onConflict of ['fail', 'skip', 'update'] as const) {
    t.same(await run(store, text, { onConflict, dryRun: false }), { created: 0, updated: 0, skipped: 2, revoked_sessions: 0, dry_run: false, errors: [] }, `the same file again (${onConflict}): nothing to do`)
  }
  t.same(await store.users.findByUsername('carol'), carol, 'untouched')

  const changed = jsonl(record('carol', { hashed_password: ARGON2ID }), record('dave', { full_name: 'Dave D.' }), record('erin'))
  t.match(await run(store, changed), { errors: [{ line: 1, username: 'carol' }, { line: 2, username: 'dave' }] }, 'fail: stored users differ')
  t.same(await run(store, changed, { onConflict: 'skip', dryRun: false }), { created: 1, updated: 0, skipped: 2, revoked_sessions: 0, dry_run: false, errors: [] })
  t.equal((await store.users.findByUsername('carol'))?.passwordHash, BCRYPT, 'skip kept the stored hash')
  t.match(await run(store, changed, { onConflict: 'update', dryRun: false }), { created: 0, updated: 2, skipped: 1, errors: [] })
  const updated = await store.users.findByUsername('carol')
  t.match(updated, { passwordHash: ARGON2ID, lockoutGeneration: (carol?.lockoutGeneration ?? 0) + 1 }, 'a new hash lifts a lockout, as a reset does')
  t.match(await store.users.findByUsername('dave'), { fullName: 'Dave D.', lockoutGeneration: 0 })
})

eachDialect('import: 2,000 users in batches, with progress', async (t, store) => {
  const records = Array.from({ length: 2000 }, (_, i) => ({ line: i + 1, value: record(`user${i}`) }))
  const seen: Array<[number, number]> = []
  const report = await importUsers(store, records, { ...FAIL, onProgress: (done, total) => { seen.push([done, total]) } })
  t.equal(report.created, 2000)
  t.same(seen[0], [0, 2000])
  t.same(seen[seen.length - 1], [2000, 2000])
  t.equal((await store.users.list({ limit: 3000 })).length, 2000)
})

eachDialect('import: a username created by another writer between the check and the write is a conflict, nothing written', async (t, store) => {
  const { records } = parseImport(jsonl(record('frank'), record('grace')))
  const findMany = store.users.findMany
  // The check sees no users; "grace" is then created before the import writes.
  store.users.findMany = async (usernames) => {
    const found = await findMany(usernames)
    await store.users.create({ username: 'grace', email: null, fullName: null, passwordHash: BCRYPT, disabled: false, scopes: [] })
    return found
  }
  await t.rejects(importUsers(store, records, FAIL), { code: 'conflict', statusCode: 409, message: /created meanwhile/ })
  store.users.findMany = findMany
  t.equal(await store.users.findByUsername('frank'), undefined, 'rolled back')
})

eachDialect('import: an argon2 hash asking for more memory than the service allows per hash is a bad record; written hashes are reported', async (t, store) => {
  const stored: string[] = []
  const options: ImportOptions = { ...FAIL, argon2MaxMemoryKib: 65535, onHashStored: hash => { stored.push(hash) } }
  const refused = await run(store, jsonl(record('heidi', { hashed_password: ARGON2ID }), record('ivan')), options)
  t.match(refused, { created: 0, errors: [{ line: 1, username: 'heidi', error: /65536 KiB of memory, more than this service allows per hash \(65535 KiB/ }] })
  t.same(stored, [], 'nothing written, nothing reported')
  const accepted = await run(store, jsonl(record('heidi', { hashed_password: ARGON2ID }), record('ivan')), { ...options, argon2MaxMemoryKib: 65536 })
  t.match(accepted, { created: 2, errors: [] })
  t.same(stored.sort(), [ARGON2ID, BCRYPT].sort())
})
