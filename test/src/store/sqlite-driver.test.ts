import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { SQLITE_PACKAGE, SQLiteDatabase } from '../../../src/store/sqlite-driver.js'
import { ROOT } from '../../child-process.js'

// better-sqlite3 12 aborts on Node 24 and 13 crashes on Node 20 (see
// sqlite-driver.ts): each Node must get the line that works on it.

function installedVersion (name: string): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }
  return pkg.version
}

t.test('this Node gets the better-sqlite3 line built for it', async t => {
  const major = Number(process.versions.node.split('.')[0])
  const expected = major >= 22 ? 13 : 12
  t.equal(Number(installedVersion(SQLITE_PACKAGE).split('.')[0]), expected, `${SQLITE_PACKAGE} on Node ${process.version}`)
})

t.test('it opens a database and runs statements', async t => {
  const db = new SQLiteDatabase(':memory:')
  t.teardown(() => db.close())
  db.exec('CREATE TABLE t (x INTEGER)')
  const insert = db.prepare('INSERT INTO t VALUES (?)')
  for (let i = 0; i < 100; i++) insert.run(i)
  t.same(db.prepare('SELECT count(*) AS n, sum(x) AS s FROM t').get(), { n: 100, s: 4950 })
})
