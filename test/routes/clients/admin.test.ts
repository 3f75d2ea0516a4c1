import { decodeJwt } from 'jose'
import t from 'tap'
import { clientSecretMatches, CLIENT_SECRET_PATTERN } from '../../../src/clients/client-secret.js'
import { addClient, addUser, bearer, build, login, me } from '../../helper.js'
import { buildWithLogs } from '../../logs.js'
import { sessionThrough } from './session-through.js'

interface ClientBody {
  client_id: string
  client_secret?: string
  name: string
  grant_types: string[]
  scopes: string[]
  access_token_ttl_seconds: number | null
  disabled: boolean
  public: boolean
  created_at: string
  updated_at: string
  secret_rotated_at: string | null
}

async function withAdmin (t: Parameters<typeof build>[0], adjust?: Parameters<typeof build>[2]) {
  const app = await build(t, {}, adjust)
  await addUser(app, 'root', { scopes: ['clients:admin'] })
  const { access_token: token } = await login(app, 'root')
  return { app, auth: bearer(token) }
}

t.test('POST /clients: a confidential client, its secret shown once, and never again', async t => {
  const { app, auth } = await withAdmin(t)
  const res = await app.inject({
    method: 'POST',
    url: '/clients',
    headers: auth,
    payload: { client_id: 'reports', name: 'Reports service', grant_types: ['client_credentials'], scopes: ['reports:read', 'introspect'], access_token_ttl_seconds: 600 }
  })
  t.equal(res.statusCode, 201, res.body)
  t.equal(res.headers['cache-control'], 'no-store')
  t.equal(res.headers.location, '/clients/reports')
  const body = res.json<ClientBody>()
  t.match(body, {
    client_id: 'reports',
    name: 'Reports service',
    grant_types: ['client_credentials'],
    scopes: ['introspect', 'reports:read'],
    access_token_ttl_seconds: 600,
    disabled: false,
    public: false,
    created_at: /^\d{4}-\d\d-\d\dT/,
    updated_at: /^\d{4}-\d\d-\d\dT/,
    secret_rotated_at: null
  })
  t.match(body.client_secret, CLIENT_SECRET_PATTERN)
  const stored = await app.store.clients.findById('reports')
  t.ok(clientSecretMatches(body.client_secret ?? '', stored?.secretHash ?? null), 'the store holds the hash of the secret shown')
  t.not(stored?.secretHash, body.client_secret, 'not the secret itself')

  const read = await app.inject({ method: 'GET', url: '/clients/reports', headers: auth })
  t.equal(read.statusCode, 200)
  const { client_secret: _secret, ...view } = body
  t.same(read.json(), view, 'the same client, without its secret')
  t.notOk(read.body.includes(body.client_secret ?? '-') || read.body.includes(stored?.secretHash ?? '-'), 'neither the secret nor its hash')
  const listed = await app.inject({ method: 'GET', url: '/clients', headers: auth })
  t.notOk(listed.body.includes(body.client_secret ?? '-') || listed.body.includes(stored?.secretHash ?? '-'), 'not in the list either')
})

t.test('POST /clients: defaults, a generated client_id, public clients', async t => {
  const { app, auth } = await withAdmin(t)
  const generated = await app.inject({ method: 'POST', url: '/clients', headers: auth, payload: {} })
  t.equal(generated.statusCode, 201, generated.body)
  const body = generated.json<ClientBody>()
  t.match(body.client_id, /^client-[A-Za-z0-9_-]{16}$/)
  t.match(body, { name: body.client_id, grant_types: ['client_credentials'], scopes: [], access_token_ttl_seconds: null, public: false })
  t.match(body.client_secret, CLIENT_SECRET_PATTERN)
  const other = (await app.inject({ method: 'POST', url: '/clients', headers: auth, payload: {} })).json<ClientBody>()
  t.not(other.client_id, body.client_id)
  t.not(other.client_secret, body.client_secret)

  const spa = await app.inject({ method: 'POST', url: '/clients', headers: auth, payload: { client_id: 'spa', public: true } })
  t.equal(spa.statusCode, 201, spa.body)
  t.match(spa.json(), { client_id: 'spa', public: true, grant_types: ['password', 'refresh_token'] })
  t.notOk('client_secret' in spa.json(), 'a public client has no secret')
  t.equal((await app.store.clients.findById('spa'))?.secretHash, null)

  const ordered = await app.inject({ method: 'POST', url: '/clients', headers: auth, payload: { client_id: 'cli', public: true, grant_types: ['refresh_token', 'password'] } })
  t.same(ordered.json().grant_types, ['password', 'refresh_token'], 'grant types in one canonical order')
})

t.test('POST /clients: the rules', async t => {
  const { app, auth } = await withAdmin(t)
  await addClient(app, 'taken')
  const post = async (payload: Record<string, unknown>) => await app.inject({ method: 'POST', url: '/clients', headers: auth, payload })

  const publicCc = await post({ client_id: 'pub', public: true, grant_types: ['client_credentials'] })
  t.equal(publicCc.statusCode, 400, 'client_credentials needs a confidential client (RFC 6749 §4.4)')
  t.equal(publicCc.json().error, 'invalid_request')
  t.match(publicCc.json().error_description, /confidential/)

  const taken = await post({ client_id: 'taken' })
  t.equal(taken.statusCode, 409)
  t.equal(taken.json().error, 'conflict')

  const bad: Array<[string, Record<string, unknown>]> = [
    ['client_id too short', { client_id: 'ab' }],
    ['client_id with a space', { client_id: 'my client' }],
    ['client_id with a colon (Basic auth separator)', { client_id: 'a:b' }],
    ['client_id too long', { client_id: 'x'.repeat(65) }],
    ['unknown grant type', { grant_types: ['authorization_code'] }],
    ['no grant type', { grant_types: [] }],
    ['a bad scope', { scopes: ['bad scope'] }],
    ['a scope with a quote', { scopes: ['a"b'] }],
    ['ttl too short', { access_token_ttl_seconds: 59 }],
    ['ttl too long', { access_token_ttl_seconds: 86_401 }],
    ['ttl not whole', { access_token_ttl_seconds: 60.5 }],
    ['an empty name', { name: '' }],
    ['a name with a newline', { name: 'a\nb' }],
    ['a secret chosen by the caller', { client_secret: 'x'.repeat(43) }],
    ['an unknown field', { redirect_uris: [] }]
  ]
  for (const [what, payload] of bad) {
    const res = await post(payload)
    t.equal(res.statusCode, 400, what)
    t.equal(res.json().error, 'invalid_request', what)
  }
  t.equal((await post({ client_id: 'edge', access_token_ttl_seconds: 60, name: 'n'.repeat(200) })).statusCode, 201, 'the bounds themselves are allowed')
  t.same((await app.store.clients.list({ limit: 10 })).map(c => c.id), ['edge', 'taken'], 'nothing else was stored')
})

t.test('the admin checks: authentication, scope clients:admin, a recent login for changes', async t => {
  const { app, auth } = await withAdmin(t, config => { config.sessions.reauthMaxAgeSeconds = 60 })
  await addClient(app, 'reports')
  await addUser(app, 'usersadmin', { scopes: ['users:admin'] })
  const wrongScope = bearer((await login(app, 'usersadmin')).access_token)
  const tokens = await login(app, 'root')
  const user = await app.userService.get('root')
  const stale = bearer(app.accessTokens.issue({
    username: 'root', scopes: user.scopes, sessionId: decodeJwt(tokens.access_token).sid as string, authTime: Math.floor(Date.now() / 1000) - 120
  }).token)

  const reads = [
    { method: 'GET' as const, url: '/clients' },
    { method: 'GET' as const, url: '/clients/reports' }
  ]
  const changes = [
    { method: 'POST' as const, url: '/clients', payload: { client_id: 'new-one' } },
    { method: 'PATCH' as const, url: '/clients/reports', payload: { disabled: true } },
    { method: 'DELETE' as const, url: '/clients/reports' },
    { method: 'POST' as const, url: '/clients/reports/secret' }
  ]
  for (const request of [...reads, ...changes]) {
    const name = `${request.method} ${request.url}`
    const anonymous = await app.inject(request)
    t.equal(anonymous.statusCode, 401, `${name}: no token`)
    t.equal(anonymous.json().error, 'unauthorized')
    const scoped = await app.inject({ ...request, headers: wrongScope })
    t.equal(scoped.statusCode, 403, `${name}: users:admin is not clients:admin`)
    t.equal(scoped.json().error, 'insufficient_scope')
    t.match(scoped.headers['www-authenticate'], /scope="clients:admin"/)
  }
  for (const request of changes) {
    const res = await app.inject({ ...request, headers: stale })
    t.equal(res.statusCode, 401, `${request.method} ${request.url}: a login 2 minutes old`)
    t.equal(res.json().error, 'insufficient_user_authentication')
  }
  for (const request of reads) t.equal((await app.inject({ ...request, headers: stale })).statusCode, 200, `${request.method} ${request.url}: reading needs no recent login`)
  t.match(await app.store.clients.findById('reports'), { disabled: false, secretRotatedAt: null }, 'nothing was changed')
  t.equal(await app.store.clients.findById('new-one'), undefined)
  t.equal((await app.inject({ method: 'GET', url: '/clients/reports', headers: auth })).statusCode, 200)
})

t.test('GET /clients: cursor pagination visits every client once, in client_id order', async t => {
  const { app, auth } = await withAdmin(t)
  const ids = ['gamma', 'Beta', 'alpha', 'delta', 'epsilon', 'zeta', 'eta']
  for (const id of ids) await addClient(app, id)
  const seen: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const url: string = cursor === null ? '/clients?limit=3' : `/clients?limit=3&after=${encodeURIComponent(cursor)}`
    const res = await app.inject({ method: 'GET', url, headers: auth })
    t.equal(res.statusCode, 200)
    const body = res.json<{ clients: ClientBody[], next_cursor: string | null }>()
    t.ok(body.clients.length <= 3)
    seen.push(...body.clients.map(c => c.client_id))
    cursor = body.next_cursor
    pages++
  } while (cursor !== null && pages < 10)
  t.same(seen, [...ids].sort(), 'in order, none missed, none twice')
  t.equal(pages, 3)
  const empty = await app.inject({ method: 'GET', url: '/clients?after=zzz', headers: auth })
  t.same(empty.json(), { clients: [], next_cursor: null })
  for (const query of ['limit=0', 'limit=201', 'sort=name']) {
    t.equal((await app.inject({ method: 'GET', url: `/clients?${query}`, headers: auth })).statusCode, 400, query)
  }
})

t.test('GET, PATCH, DELETE and rotation of an unknown client are 404', async t => {
  const { app, auth } = await withAdmin(t)
  const requests = [
    { method: 'GET' as const, url: '/clients/nobody' },
    { method: 'PATCH' as const, url: '/clients/nobody', payload: { name: 'x' } },
    { method: 'DELETE' as const, url: '/clients/nobody' },
    { method: 'POST' as const, url: '/clients/nobody/secret' }
  ]
  for (const request of requests) {
    const res = await app.inject({ ...request, headers: auth })
    t.equal(res.statusCode, 404, `${request.method} ${request.url}`)
    t.same(res.json(), { error: 'not_found', error_description: 'No such client' })
  }
})

t.test('PATCH /clients/:client_id: each field, and the same rules as at registration', async t => {
  const { app, auth } = await withAdmin(t)
  await addClient(app, 'reports', { scopes: ['introspect'] })
  await addClient(app, 'spa', { public: true, grantTypes: ['password', 'refresh_token'] })
  const patch = async (id: string, payload: Record<string, unknown>) => await app.inject({ method: 'PATCH', url: `/clients/${id}`, headers: auth, payload })

  const before = await app.store.clients.findById('reports')
  const changed = await patch('reports', { name: 'Reports', scopes: ['reports:write', 'reports:read'], access_token_ttl_seconds: 300, grant_types: ['client_credentials', 'password'] })
  t.equal(changed.statusCode, 200, changed.body)
  t.match(changed.json(), { client_id: 'reports', name: 'Reports', scopes: ['reports:read', 'reports:write'], access_token_ttl_seconds: 300, grant_types: ['client_credentials', 'password'], disabled: false })
  t.notOk('client_secret' in changed.json())
  t.equal((await app.store.clients.findById('reports'))?.secretHash, before?.secretHash, 'the secret is untouched')

  const back = await patch('reports', { access_token_ttl_seconds: null })
  t.equal(back.json().access_token_ttl_seconds, null, 'null: back to the configured default')
  t.equal(back.json().name, 'Reports', 'fields not sent stay as they are')

  const publicCc = await patch('spa', { grant_types: ['client_credentials'] })
  t.equal(publicCc.statusCode, 400, 'a public client cannot take client_credentials')
  t.match(publicCc.json(), { error: 'invalid_request', error_description: /confidential/ })
  t.same((await app.store.clients.findById('spa'))?.grantTypes, ['password', 'refresh_token'], 'unchanged')

  const bad: Array<[string, Record<string, unknown>]> = [
    ['empty patch', {}],
    ['no grant type', { grant_types: [] }],
    ['unknown grant type', { grant_types: ['implicit'] }],
    ['bad scope', { scopes: ['a b'] }],
    ['ttl out of bounds', { access_token_ttl_seconds: 10 }],
    ['public cannot be changed', { public: true }],
    ['the client_id cannot be changed', { client_id: 'other' }],
    ['the secret is not patched', { client_secret: 'x' }]
  ]
  for (const [what, payload] of bad) {
    const res = await patch('reports', payload)
    t.equal(res.statusCode, 400, what)
    t.equal(res.json().error, 'invalid_request', what)
  }
})

t.test('disabling a client revokes the sessions opened through it, and only those', async t => {
  const { app, auth } = await withAdmin(t)
  await addClient(app, 'spa', { public: true, grantTypes: ['password', 'refresh_token'] })
  await addClient(app, 'other', { public: true, grantTypes: ['password', 'refresh_token'] })
  await addUser(app, 'alice')
  const through = await sessionThrough(app, 'alice', 'spa')
  const elsewhere = await sessionThrough(app, 'alice', 'other')
  const direct = (await login(app, 'alice')).access_token
  for (const token of [through, elsewhere, direct]) t.equal((await me(app, token)).statusCode, 200)

  const res = await app.inject({ method: 'PATCH', url: '/clients/spa', headers: auth, payload: { disabled: true } })
  t.equal(res.statusCode, 200)
  t.equal(res.json().disabled, true)
  const refused = await me(app, through)
  t.equal(refused.statusCode, 401, 'a live token of the client is refused on the very next request')
  t.equal(refused.json().error, 'invalid_token')
  t.equal((await me(app, elsewhere)).statusCode, 200, 'another client\'s session lives on')
  t.equal((await me(app, direct)).statusCode, 200, 'so does a session of no client')

  t.equal((await app.inject({ method: 'PATCH', url: '/clients/spa', headers: auth, payload: { disabled: false } })).json().disabled, false)
  t.equal((await me(app, through)).statusCode, 401, 're-enabling does not revive revoked sessions')
})

t.test('DELETE /clients/:client_id: 204, and its sessions go with it', async t => {
  const { app, auth } = await withAdmin(t)
  await addClient(app, 'spa', { public: true, grantTypes: ['password', 'refresh_token'] })
  await addUser(app, 'alice')
  const through = await sessionThrough(app, 'alice', 'spa')
  const direct = (await login(app, 'alice')).access_token
  const res = await app.inject({ method: 'DELETE', url: '/clients/spa', headers: auth })
  t.equal(res.statusCode, 204)
  t.equal(res.body, '')
  t.equal(await app.store.clients.findById('spa'), undefined)
  t.equal((await me(app, through)).statusCode, 401, 'the client\'s session is gone')
  t.equal((await me(app, direct)).statusCode, 200, 'another session is not')
  const sessions = await app.store.sessions.listForUser((await app.userService.get('alice')).id)
  t.notOk(sessions.some(s => s.clientId === 'spa'), 'no session row of the client is left')
  t.equal((await app.inject({ method: 'DELETE', url: '/clients/spa', headers: auth })).statusCode, 404, 'deleted once')
})

t.test('POST /clients/:client_id/secret: a new secret once, the old one stops matching', async t => {
  const { app, auth } = await withAdmin(t)
  const old = await addClient(app, 'reports') ?? ''
  const res = await app.inject({ method: 'POST', url: '/clients/reports/secret', headers: auth })
  t.equal(res.statusCode, 200, res.body)
  t.equal(res.headers['cache-control'], 'no-store')
  const body = res.json<{ client_id: string, client_secret: string }>()
  t.same(Object.keys(body).sort(), ['client_id', 'client_secret'])
  t.equal(body.client_id, 'reports')
  t.match(body.client_secret, CLIENT_SECRET_PATTERN)
  t.not(body.client_secret, old)
  const stored = await app.store.clients.findById('reports')
  t.ok(clientSecretMatches(body.client_secret, stored?.secretHash ?? null), 'the new secret matches')
  t.notOk(clientSecretMatches(old, stored?.secretHash ?? null), 'the old one no longer does')
  const view = (await app.inject({ method: 'GET', url: '/clients/reports', headers: auth })).json<ClientBody>()
  t.match(view.secret_rotated_at, /^\d{4}-\d\d-\d\dT/, 'the rotation is dated')
  t.notOk(JSON.stringify(view).includes(body.client_secret))

  await addClient(app, 'spa', { public: true, grantTypes: ['password'] })
  const publicClient = await app.inject({ method: 'POST', url: '/clients/spa/secret', headers: auth })
  t.equal(publicClient.statusCode, 400, 'a public client has no secret to rotate')
  t.match(publicClient.json(), { error: 'invalid_request', error_description: /public client/ })
  t.equal((await app.store.clients.findById('spa'))?.secretHash, null, 'and stays public')
})

t.test('every change is an audit line naming the client and its actor; no secret or hash reaches the log, even at trace', async t => {
  const { app, logs } = await buildWithLogs(t, { LOG_LEVEL: 'trace' })
  await addUser(app, 'root', { scopes: ['clients:admin'] })
  const auth = bearer((await login(app, 'root')).access_token)
  const created = (await app.inject({ method: 'POST', url: '/clients', headers: auth, payload: { client_id: 'reports', scopes: ['introspect'] } })).json<ClientBody>()
  t.equal((await app.inject({ method: 'PATCH', url: '/clients/reports', headers: auth, payload: { name: 'Reports', disabled: true } })).statusCode, 200)
  const rotated = (await app.inject({ method: 'POST', url: '/clients/reports/secret', headers: auth })).json<{ client_secret: string }>()
  const hash = (await app.store.clients.findById('reports'))?.secretHash ?? '-'
  t.equal((await app.inject({ method: 'DELETE', url: '/clients/reports', headers: auth })).statusCode, 204)

  t.match(logs.audit('client.created'), [{ actor: 'root', client_id: 'reports', grant_types: ['client_credentials'], scopes: ['introspect'], public: false }])
  t.match(logs.audit('client.updated'), [{ actor: 'root', client_id: 'reports', changes: ['name', 'disabled'] }])
  t.match(logs.audit('client.secret_rotated'), [{ actor: 'root', client_id: 'reports' }])
  t.match(logs.audit('client.deleted'), [{ actor: 'root', client_id: 'reports' }])
  const text = logs.text()
  for (const secret of [created.client_secret ?? '', rotated.client_secret, hash]) {
    t.ok(secret.length >= 43, 'a secret to look for')
    t.notOk(text.includes(secret), 'not in the log')
  }
})
