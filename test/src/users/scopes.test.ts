import t from 'tap'
import { isValidScope, normalizeScopes, parseScopeParam } from '../../../src/users/scopes.js'

t.test('scope tokens follow RFC 6749 §3.3', async t => {
  t.ok(isValidScope('users:admin'))
  t.ok(isValidScope('reports.read'))
  t.notOk(isValidScope(''))
  t.notOk(isValidScope('has space'))
  t.notOk(isValidScope('quote"'))
  t.notOk(isValidScope('back\\slash'))
  t.notOk(isValidScope('x'.repeat(65)))
})

t.test('parseScopeParam splits, de-duplicates and refuses malformed lists', async t => {
  t.same(parseScopeParam('a b  a'), ['a', 'b'])
  t.same(parseScopeParam(''), [])
  t.equal(parseScopeParam('ok "bad"'), undefined)
})

t.test('normalizeScopes sorts and de-duplicates', async t => {
  t.same(normalizeScopes(['users:admin', 'a', 'users:admin']), ['a', 'users:admin'])
})
