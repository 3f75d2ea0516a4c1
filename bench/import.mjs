// `gatehouse user import` of N users (100,000 by default) as a real process,
// timed from start to exit: into a fresh embedded store (SQLite) and into a
// fresh schema on PostgreSQL; then the same file again with
// --on-conflict skip (every user is already there: nothing to write), and a
// file where every user's full_name changed with --on-conflict update.
// The records alternate the FastAPI tutorial's bcrypt and argon2id hashes.
//
//   npm run bench:import [-- --users 100000] [-- --postgres postgres://postgres@127.0.0.1:5432/test]
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createPostgresSchema, POSTGRES_URL } from './lib/postgres-seed.mjs'

const { values: args } = parseArgs({ options: { users: { type: 'string', default: '100000' }, postgres: { type: 'string', default: POSTGRES_URL } } })
const USERS = Number(args.users)
const CLI = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url))
const HASHES = [
  '$2b$12$EixZaYVK1fsbw1ZfbX3OXePaWxn96p36WQoeG6Lruj3vjPGga31lW',
  '$argon2id$v=19$m=65536,t=3,p=4$wagCPXjifgvUFBzq4hqe3w$CYaIb8sB+wtD+Vu/P4uod1+Qof8h+1g7bbDlBID48Rc'
]

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-import-'))
function usersFile (name, fullName) {
  const lines = []
  for (let i = 0; i < USERS; i++) {
    lines.push(JSON.stringify({ username: `user${i}`, email: `user${i}@example.com`, full_name: `${fullName} ${i}`, disabled: false, hashed_password: HASHES[i % 2] }))
  }
  writeFileSync(join(dir, name), lines.join('\n') + '\n')
  return { file: join(dir, name), bytes: lines.join('\n').length }
}
const { file, bytes } = usersFile('users.jsonl', 'User')
const { file: renamed } = usersFile('renamed.jsonl', 'Renamed')

function importOnce (label, env, extra = [], input = file) {
  const started = process.hrtime.bigint()
  const run = spawnSync(process.execPath, [CLI, 'user', 'import', ...extra, input], {
    env: { PATH: process.env.PATH, JWT_SECRET: 'bench-secret-0123456789abcdef0123456789abcdef', ...env },
    cwd: dir,
    encoding: 'utf8'
  })
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  if (run.status !== 0) throw new Error(`${label}: exit ${run.status}\n${run.stdout}${run.stderr}`)
  console.log(`${label.padEnd(28)} ${seconds.toFixed(2).padStart(7)} s  ${run.stdout.trim()}`)
}

console.log(`${USERS} users, ${(bytes / 1e6).toFixed(1)} MB of JSON Lines`)
try {
  const sqlite = { DATA_DIR: join(dir, 'data') }
  importOnce('sqlite: import', sqlite)
  importOnce('sqlite: again, skip', sqlite, ['--on-conflict', 'skip'])
  importOnce('sqlite: renamed, update', sqlite, ['--on-conflict', 'update'], renamed)
  const pg = await createPostgresSchema({ url: args.postgres })
  try {
    importOnce('postgres: import', { DATABASE_URL: pg.url })
    importOnce('postgres: again, skip', { DATABASE_URL: pg.url }, ['--on-conflict', 'skip'])
    importOnce('postgres: renamed, update', { DATABASE_URL: pg.url }, ['--on-conflict', 'update'], renamed)
  } finally {
    await pg.drop()
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
