import t from 'tap'
import { isOtherSchemaDropped } from '../../../src/store/database.js'

t.test('a migration is retried only when another schema vanished under the catalog scan', async t => {
  const dropped = (schema: string) => Object.assign(new Error(`schema "${schema}" does not exist`), { code: '3F000' })
  t.ok(isOtherSchemaDropped(dropped('gh_other'), 'gh_mine'), 'another deployment dropped its schema: retry')
  t.notOk(isOtherSchemaDropped(dropped('gh_mine'), 'gh_mine'), 'our own schema is missing: a real error')
  t.notOk(isOtherSchemaDropped(Object.assign(new Error('relation "users" already exists'), { code: '42P07' }), 'gh_mine'))
  t.notOk(isOtherSchemaDropped(dropped('gh_other'), undefined), 'SQLite has no schemas')
  t.notOk(isOtherSchemaDropped(undefined, 'gh_mine'))
  const tableGone = (name: string) => Object.assign(new Error(`relation "${name}" does not exist`), { code: '42P01' })
  t.ok(isOtherSchemaDropped(tableGone('gh_other.sessions'), 'gh_mine'), 'a table of a schema being dropped, named by the catalog scan: retry')
  t.notOk(isOtherSchemaDropped(tableGone('gh_mine.sessions'), 'gh_mine'), 'our own table is missing: a real error')
  t.notOk(isOtherSchemaDropped(tableGone('sessions'), 'gh_mine'), 'an unqualified name is ours: a real error')
  t.notOk(isOtherSchemaDropped(tableGone('gh_other.sessions'), undefined), 'SQLite has no schemas')
})
