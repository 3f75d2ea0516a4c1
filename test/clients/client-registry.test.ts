import t from 'tap'
import { CLIENT_ID_SCHEMA_PATTERN, ClientRegistrationSchema } from '../../schemas/clients.js'
import { createClientRegistry } from '../../src/clients/client-registry.js'
import { CLIENT_ID_PATTERN, clientSecretMatches } from '../../src/clients/client-secret.js'
import { ServiceError } from '../../src/errors.js'
import { CLIENT_GRANT_TYPES } from '../../src/store/client.js'
import { openStore } from '../../src/store/store.js'
import { tempDir } from '../helper.js'

async function registry (t: Parameters<typeof tempDir>[0]) {
  const store = await openStore({ databaseUrl: undefined, dataDir: tempDir(t), poolSize: 1 })
  t.teardown(store.close)
  return { store, clients: createClientRegistry({ store }) }
}

const refused = (status: number, code: string, description?: RegExp) =>
  ({ constructor: ServiceError, statusCode: status, code, ...(description !== undefined && { message: description }) })

t.test('the API schema restates the store\'s grant types and client_id rule exactly', async t => {
  t.equal(CLIENT_ID_SCHEMA_PATTERN, CLIENT_ID_PATTERN.source)
  t.same(ClientRegistrationSchema.properties.grant_types.items.enum, [...CLIENT_GRANT_TYPES])
})

// The API's schema refuses most of these before the registry sees them; the CLI's input arrives unchecked.
t.test('register checks what the CLI passes: id, name, grant types, scopes, lifetime', async t => {
  const { clients } = await registry(t)
  const cases: Array<[string, Parameters<typeof clients.register>[0], RegExp]> = [
    ['a malformed client_id', { clientId: 'a b' }, /Invalid client_id/],
    ['a name with a control character', { clientId: 'abc', name: 'a\u0007' }, /Invalid client name/],
    ['an over-long name', { clientId: 'abc', name: 'n'.repeat(201) }, /Invalid client name/],
    ['an unknown grant type', { clientId: 'abc', grantTypes: ['implicit'] }, /Unknown grant type: implicit/],
    ['no grant type', { clientId: 'abc', grantTypes: [] }, /at least one grant type/],
    ['a public client with client_credentials', { clientId: 'abc', public: true, grantTypes: ['client_credentials', 'password'] }, /confidential/],
    ['a bad scope', { clientId: 'abc', scopes: ['ok', 'not ok'] }, /Invalid scope name: not ok/],
    ['too many scopes', { clientId: 'abc', scopes: Array.from({ length: 51 }, (_, i) => `s${i}`) }, /at most 50/],
    ['a lifetime under a minute', { clientId: 'abc', accessTokenTtlSeconds: 59 }, /60 to 86400/],
    ['a lifetime over a day', { clientId: 'abc', accessTokenTtlSeconds: 86_401 }, /60 to 86400/],
    ['a fractional lifetime', { clientId: 'abc', accessTokenTtlSeconds: 90.5 }, /60 to 86400/]
  ]
  for (const [what, input, message] of cases) await t.rejects(clients.register(input), refused(400, 'invalid_request', message), what)
  t.same((await clients.list({ limit: 10 })).clients, [], 'nothing was stored')

  const { client, secret } = await clients.register({ clientId: 'abc', scopes: ['b', 'a', 'b'], grantTypes: ['refresh_token', 'client_credentials', 'refresh_token'] })
  t.match(client, { id: 'abc', name: 'abc', scopes: ['a', 'b'], grantTypes: ['client_credentials', 'refresh_token'], accessTokenTtlSeconds: null, disabled: false })
  t.ok(clientSecretMatches(secret ?? '', client.secretHash), 'the secret returned is the one stored (hashed)')
  await t.rejects(clients.register({ clientId: 'abc' }), refused(409, 'conflict'), 'a taken client_id')
})

t.test('update: PATCH semantics and the same rules; rotateSecret; delete', async t => {
  const { clients } = await registry(t)
  await clients.register({ clientId: 'spa', public: true })
  const { secret: first } = await clients.register({ clientId: 'svc', accessTokenTtlSeconds: 120 })

  await t.rejects(clients.update('spa', { grantTypes: ['client_credentials'] }), refused(400, 'invalid_request', /confidential/))
  await t.rejects(clients.update('svc', { accessTokenTtlSeconds: 5 }), refused(400, 'invalid_request'))
  await t.rejects(clients.update('nobody', { name: 'x' }), refused(404, 'not_found'))
  const renamed = await clients.update('svc', { name: 'Service' })
  t.match(renamed, { name: 'Service', accessTokenTtlSeconds: 120, grantTypes: ['client_credentials'] }, 'what was not sent is kept')
  t.equal((await clients.update('svc', { accessTokenTtlSeconds: null })).accessTokenTtlSeconds, null)

  await t.rejects(clients.rotateSecret('spa'), refused(400, 'invalid_request', /public client/))
  t.equal((await clients.get('spa')).secretHash, null, 'a public client stays public')
  const { client, secret } = await clients.rotateSecret('svc')
  t.ok(clientSecretMatches(secret, client.secretHash))
  t.notOk(clientSecretMatches(first ?? '', client.secretHash), 'the first secret is dead')
  t.type(client.secretRotatedAt, 'number')
  await t.rejects(clients.rotateSecret('nobody'), refused(404, 'not_found'))

  await clients.delete('svc')
  await t.rejects(clients.get('svc'), refused(404, 'not_found'))
  await t.rejects(clients.delete('svc'), refused(404, 'not_found'))
})
