import t from 'tap'
import { clientSecretMatches } from '../../../src/clients/client-secret.js'
import { addUser, bearer, build, login, me } from '../../helper.js'
import { sessionThrough } from './session-through.js'
import { postgresSchema } from '../../src/store/postgres-schema.js'

async function until (what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!await probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

t.test('the /clients admin API on PostgreSQL, with a second instance that soon refuses a disabled or deleted client\'s tokens too', async t => {
  const pg = await postgresSchema(t)
  if (pg === undefined) return
  const app = await build(t, { DATABASE_URL: pg.url })
  const other = await build(t, { DATABASE_URL: pg.url })
  t.equal(app.store.dialect, 'postgres')
  await addUser(app, 'root', { scopes: ['clients:admin'] })
  await addUser(app, 'alice')
  const auth = bearer((await login(app, 'root')).access_token)

  const created = await app.inject({ method: 'POST', url: '/clients', headers: auth, payload: { client_id: 'spa', public: true, scopes: ['reports:read'] } })
  t.equal(created.statusCode, 201, created.body)
  t.match(created.json(), { client_id: 'spa', public: true, grant_types: ['password', 'refresh_token'], scopes: ['reports:read'] })
  const taken = await app.inject({ method: 'POST', url: '/clients', headers: auth, payload: { client_id: 'spa' } })
  t.equal(taken.statusCode, 409, 'a taken client_id')
  const confidential = await app.inject({ method: 'POST', url: '/clients', headers: auth, payload: { client_id: 'svc', access_token_ttl_seconds: 900 } })
  t.equal(confidential.statusCode, 201)

  const listed = await app.inject({ method: 'GET', url: '/clients?limit=1', headers: auth })
  t.same(listed.json<{ clients: Array<{ client_id: string }> }>().clients.map(c => c.client_id), ['spa'])
  t.equal(listed.json().next_cursor, 'spa')
  const rest = await app.inject({ method: 'GET', url: '/clients?limit=1&after=spa', headers: auth })
  t.match(rest.json(), { clients: [{ client_id: 'svc', access_token_ttl_seconds: 900 }], next_cursor: null })

  const rotated = await app.inject({ method: 'POST', url: '/clients/svc/secret', headers: auth })
  t.equal(rotated.statusCode, 200)
  const stored = await app.store.clients.findById('svc')
  t.ok(clientSecretMatches(rotated.json().client_secret, stored?.secretHash ?? null))
  t.notOk(clientSecretMatches(confidential.json().client_secret, stored?.secretHash ?? null), 'the first secret no longer matches')

  const token = await sessionThrough(app, 'alice', 'spa')
  t.equal((await me(other, token)).statusCode, 200, 'the other instance has the session cached')
  t.equal((await app.inject({ method: 'PATCH', url: '/clients/spa', headers: auth, payload: { disabled: true } })).statusCode, 200)
  t.equal((await me(app, token)).statusCode, 401, 'refused at once where the client was disabled')
  await until('the other instance to refuse the token', async () => (await me(other, token)).statusCode === 401)
  t.pass('and soon on the other instance')

  const second = await sessionThrough(app, 'alice', 'svc')
  t.equal((await me(other, second)).statusCode, 200)
  t.equal((await app.inject({ method: 'DELETE', url: '/clients/svc', headers: auth })).statusCode, 204)
  t.equal((await me(app, second)).statusCode, 401, 'its sessions went with the deleted client')
  await until('the other instance to forget the deleted client\'s session', async () => (await me(other, second)).statusCode === 401)
  t.equal((await app.inject({ method: 'GET', url: '/clients/svc', headers: auth })).statusCode, 404)
})
