import { decodeJwt } from 'jose'
import t from 'tap'
import { addUser, bearer, build, login, refresh } from '../../helper.js'

const STEP_UP = /^Bearer error="insufficient_user_authentication".*max_age=60$/

/** A token for a real session of `username` whose password check was `ageSeconds` ago. */
async function staleToken (app: Awaited<ReturnType<typeof build>>, username: string, ageSeconds: number): Promise<string> {
  const tokens = await login(app, username)
  const claims = decodeJwt(tokens.access_token)
  const user = await app.userService.get(username)
  return app.accessTokens.issue({
    username: user.username,
    scopes: user.scopes,
    sessionId: claims.sid as string,
    authTime: Math.floor(Date.now() / 1000) - ageSeconds
  }).token
}

t.test('sensitive routes need a recent password login (RFC 9470)', async t => {
  const app = await build(t, {}, config => { config.sessions.reauthMaxAgeSeconds = 60 })
  await addUser(app, 'root', { scopes: ['users:admin'] })
  await addUser(app, 'alice')
  const stale = bearer(await staleToken(app, 'root', 120))
  const requests = [
    { method: 'PATCH' as const, url: '/users/alice', payload: { disabled: true } },
    { method: 'DELETE' as const, url: '/users/alice' },
    { method: 'DELETE' as const, url: '/users/me/sessions' },
    { method: 'POST' as const, url: '/users', payload: { username: 'carol', password: 'Sturdy-Lamp-Orbit-42' } },
    { method: 'POST' as const, url: '/users/import', payload: [{ username: 'carol', hashed_password: '$2b$12$EixZaYVK1fsbw1ZfbX3OXePaWxn96p36WQoeG6Lruj3vjPGga31lW' }] }
  ]
  for (const request of requests) {
    const res = await app.inject({ ...request, headers: stale })
    t.equal(res.statusCode, 401, `${request.method} ${request.url}`)
    t.equal(res.json().error, 'insufficient_user_authentication')
    t.match(res.headers['www-authenticate'], STEP_UP)
  }
  t.equal((await app.inject({ method: 'GET', url: '/users', headers: stale })).statusCode, 200, 'reading is not sensitive')
  t.ok(await login(app, 'alice'), 'alice was not disabled')

  const fresh = bearer((await login(app, 'root')).access_token)
  t.equal((await app.inject({ method: 'PATCH', url: '/users/alice', headers: fresh, payload: { full_name: 'A' } })).statusCode, 200)
  t.equal((await app.inject({ method: 'DELETE', url: '/users/me/sessions', headers: fresh })).statusCode, 204)
})

t.test('a refresh does not renew auth_time', async t => {
  const app = await build(t, {}, config => { config.sessions.reauthMaxAgeSeconds = 60 })
  await addUser(app, 'alice')
  const tokens = await login(app, 'alice')
  const sid = decodeJwt(tokens.access_token).sid as string
  await app.store.handle.db.updateTable('sessions').set({ auth_time: Math.floor(Date.now() / 1000) - 120 }).where('id', '=', sid).execute()
  const refreshed = (await refresh(app, tokens.refresh_token)).json()
  const res = await app.inject({ method: 'DELETE', url: '/users/me/sessions', headers: bearer(refreshed.access_token) })
  t.equal(res.statusCode, 401)
  t.match(res.headers['www-authenticate'], STEP_UP)
})
