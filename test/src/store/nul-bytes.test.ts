import type { FastifyInstance, InjectOptions } from 'fastify'
import t, { type Test } from 'tap'
import { addUser, bearer, build, form, login, PASSWORD } from '../../helper.js'
import { DIALECTS } from './dialects.js'
import { postgresSchema } from './postgres-schema.js'

// PostgreSQL cannot store or compare a NUL character in text: such input used
// to reach it and answer 500. Every string input is refused before any query.

async function appOn (t: Test, dialect: string): Promise<FastifyInstance | undefined> {
  if (dialect === 'sqlite') return await build(t, { SIGNUP_ENABLED: 'true' })
  const pg = await postgresSchema(t)
  return pg === undefined ? undefined : await build(t, { SIGNUP_ENABLED: 'true', DATABASE_URL: pg.url })
}

for (const dialect of DIALECTS) {
  t.test(`NUL characters in any string input: 400 invalid_request, never 500 [${dialect}]`, async t => {
    const app = await appOn(t, dialect)
    if (app === undefined) return
    await addUser(app, 'root', { scopes: ['users:admin'] })
    const admin = bearer((await login(app, 'root')).access_token)
    const json = { ...admin, 'content-type': 'application/json' }
    const cases: Array<[string, InjectOptions]> = [
      ['a session id in the path', { method: 'DELETE', url: '/users/me/sessions/%00abc', headers: admin }],
      ['a username in the path', { method: 'GET', url: '/users/ab%00c', headers: admin }],
      ['a username in the path (PATCH)', { method: 'PATCH', url: '/users/ro%00ot', headers: json, payload: { full_name: 'x' } }],
      ['a cursor in the query', { method: 'GET', url: '/users?after=%00', headers: admin }],
      ['a JSON string', { method: 'PATCH', url: '/users/root', headers: json, payload: JSON.stringify({ full_name: 'Ro\u0000ot' }) }],
      ['a JSON string in an array', { method: 'PATCH', url: '/users/root', headers: json, payload: JSON.stringify({ scopes: ['users:\u0000admin'] }) }],
      ['a JSON email', { method: 'PATCH', url: '/users/root', headers: json, payload: JSON.stringify({ email: 'a\u0000@example.com' }) }],
      ['a sign-up username', { method: 'POST', url: '/users', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ username: 'ca\u0000rol', password: PASSWORD }) }],
      ['a login username', { method: 'POST', url: '/token', ...form({ username: 'ro\u0000ot', password: PASSWORD }) }],
      ['a login password', { method: 'POST', url: '/token', ...form({ username: 'root', password: `${PASSWORD}\u0000` }) }],
      ['a refresh token', { method: 'POST', url: '/token', ...form({ grant_type: 'refresh_token', refresh_token: 'abc\u0000' }) }],
      ['a revoked token', { method: 'POST', url: '/revoke', ...form({ token: 'abc\u0000' }) }],
      ['a password change', { method: 'PUT', url: '/users/me/password', headers: json, payload: JSON.stringify({ current_password: PASSWORD, new_password: 'New-\u0000Lamp-Orbit-77' }) }]
    ]
    for (const [name, request] of cases) {
      const res = await app.inject(request)
      t.equal(res.statusCode, 400, `${name}: 400 (got ${res.statusCode} ${res.body})`)
      t.equal(res.json().error, 'invalid_request', name)
    }
    const deep = await app.inject({ method: 'PATCH', url: '/users/root', headers: json, payload: `{"full_name":${'['.repeat(7000)}"\u0000"${']'.repeat(7000)}}` })
    t.equal(deep.statusCode, 400, 'a deeply nested body is scanned without overflowing the stack')
    t.equal((await app.inject({ method: 'GET', url: '/users/root', headers: admin })).json().full_name, null, 'nothing was written')
    t.equal((await app.inject({ method: 'GET', url: '/users?after=a', headers: admin })).statusCode, 200, 'a clean query still works')
  })
}
