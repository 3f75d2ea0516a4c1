import t from 'tap'
import { grantScopes } from '../../../src/auth/scope-check.js'
import { ServiceError } from '../../../src/errors.js'

t.test('grantScopes', async t => {
  const held = ['reports:read', 'users:admin']
  t.same(grantScopes(undefined, held), held, 'nothing asked: everything held')
  t.same(grantScopes('  ', held), held, 'blank: everything held')
  t.same(grantScopes('reports:read', held), ['reports:read'], 'a subset')
  t.throws(() => grantScopes('reports:write', held), { code: 'invalid_scope', statusCode: 400 })
  t.throws(() => grantScopes('"x"', held), { code: 'invalid_request', statusCode: 400 })
  try {
    grantScopes('reports:read billing', held)
    t.fail('should throw')
  } catch (err) {
    t.ok(err instanceof ServiceError)
    t.match((err as Error).message, /billing/, 'names the missing scope')
  }
})
