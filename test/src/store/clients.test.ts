import type { NewClient } from '../../../src/store/client.js'
import { ClientIdTakenError } from '../../../src/store/clients-repository.js'
import type { Session } from '../../../src/sessions/session.js'
import type { Store } from '../../../src/store/store.js'
import { newRefreshToken } from '../../../src/tokens/refresh-tokens.js'
import { eachDialect } from './dialects.js'
import { sessionFixture } from './session-fixture.js'

const NOW = Date.now()

const client = (id: string, overrides: Partial<NewClient> = {}): NewClient => ({
  id, name: `The ${id}`, secretHash: 'h'.repeat(43), grantTypes: ['client_credentials'], scopes: ['introspect'], accessTokenTtlSeconds: null, disabled: false, ...overrides
})

async function sessionThrough (store: Store, clientId: string | null): Promise<Session> {
  const user = await store.users.findByUsername('alice') ?? await store.users.create({
    username: 'alice', email: null, fullName: null, passwordHash: '$2b$04$' + 'x'.repeat(53), disabled: false, scopes: []
  })
  const session = sessionFixture(user.id, NOW, { scopes: [], clientId })
  await store.sessions.create(session, newRefreshToken().hash)
  return session
}

eachDialect('clients: create, find, list by id, a taken id', async (t, store) => {
  const created = await store.clients.create(client('svc-b', { accessTokenTtlSeconds: 120 }))
  t.match(created, { id: 'svc-b', name: 'The svc-b', grantTypes: ['client_credentials'], scopes: ['introspect'], accessTokenTtlSeconds: 120, disabled: false, secretRotatedAt: null })
  await store.clients.create(client('svc-a', { secretHash: null, grantTypes: ['password', 'refresh_token'], scopes: [] }))
  t.same(await store.clients.findById('svc-b'), created)
  t.equal((await store.clients.findById('svc-a'))?.secretHash, null, 'a public client has no secret')
  t.equal(await store.clients.findById('nobody'), undefined)
  await t.rejects(store.clients.create(client('svc-b')), ClientIdTakenError)
  t.same((await store.clients.list({ limit: 10 })).map(c => c.id), ['svc-a', 'svc-b'])
  t.same((await store.clients.list({ after: 'svc-a', limit: 10 })).map(c => c.id), ['svc-b'])
})

eachDialect('clients: a session remembers its client; disabling revokes those sessions, deleting removes them', async (t, store) => {
  await store.clients.create(client('web', { secretHash: null, grantTypes: ['password', 'refresh_token'] }))
  const through = await sessionThrough(store, 'web')
  const anonymous = await sessionThrough(store, null)
  t.equal((await store.sessions.findWithUser(through.id))?.session.clientId, 'web')
  t.equal((await store.sessions.findWithUser(anonymous.id))?.session.clientId, null)

  const disabled = await store.clients.update('web', { disabled: true, name: 'Web app' })
  t.match(disabled, { disabled: true, name: 'Web app' })
  t.not((await store.sessions.findWithUser(through.id))?.session.revokedAt, null, 'the client\'s session is revoked at once')
  t.equal((await store.sessions.findWithUser(anonymous.id))?.session.revokedAt, null, 'other sessions are not')
  t.equal(await store.clients.update('nobody', { disabled: true }), undefined)

  const rotated = await store.clients.setSecretHash('web', 's'.repeat(43))
  t.equal(rotated?.secretHash, 's'.repeat(43))
  t.type(rotated?.secretRotatedAt, 'number')

  const live = await sessionThrough(store, 'web')
  t.equal(await store.clients.delete('web'), true)
  t.equal(await store.sessions.findWithUser(live.id), undefined, 'deleting the client deletes its sessions')
  t.equal(await store.sessions.findWithUser(through.id), undefined)
  t.ok(await store.sessions.findWithUser(anonymous.id))
  t.equal(await store.clients.delete('web'), false)
})
