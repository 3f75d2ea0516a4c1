import { decodeJwt } from 'jose'
import t from 'tap'
import { addUser, bearer, build, login, me, refresh } from '../../helper.js'

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

t.test('GET /users/me/sessions lists only active sessions, with the current one marked', async t => {
  const app = await build(t)
  await addUser(app, 'alice')
  await addUser(app, 'bob')
  const first = await app.inject({ method: 'POST', url: '/token', payload: 'username=alice&password=Sturdy-Lamp-Orbit-42', headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'curl/8.0' } })
  const current = first.json()
  const revoked = await login(app, 'alice')
  await login(app, 'bob')
  await app.inject({ method: 'POST', url: '/logout', headers: bearer(revoked.access_token) })
  const third = await login(app, 'alice')

  const res = await app.inject({ method: 'GET', url: '/users/me/sessions', headers: bearer(current.access_token) })
  t.equal(res.statusCode, 200)
  const sessions = res.json() as Array<Record<string, unknown>>
  t.equal(sessions.length, 2, 'the revoked session and bob\'s are not listed')
  for (const s of sessions) {
    t.same(Object.keys(s).sort(), ['created_at', 'current', 'expires_at', 'id', 'ip', 'last_used_at', 'user_agent'])
    t.match(s.created_at, ISO)
    t.match(s.last_used_at, ISO)
    t.match(s.expires_at, ISO)
  }
  t.same(sessions.map(s => s.id), [decodeJwt(third.access_token).sid, decodeJwt(current.access_token).sid], 'newest first')
  const mine = sessions.find(s => s.id === decodeJwt(current.access_token).sid)
  t.match(mine, { current: true, user_agent: 'curl/8.0', ip: '127.0.0.1' })
  t.match(sessions.find(s => s.id === decodeJwt(third.access_token).sid), { current: false })
})

t.test('expired and idle sessions are not listed', async t => {
  const app = await build(t, {}, config => { config.sessions.idleTtlSeconds = 60 })
  await addUser(app, 'alice')
  const current = await login(app, 'alice')
  const idle = await login(app, 'alice')
  await app.store.handle.db.updateTable('sessions').set({ last_used_at: Date.now() - 120_000 }).where('id', '=', decodeJwt(idle.access_token).sid as string).execute()
  const sessions = (await app.inject({ method: 'GET', url: '/users/me/sessions', headers: bearer(current.access_token) })).json()
  t.same(sessions.map((s: { id: string }) => s.id), [decodeJwt(current.access_token).sid])
})

t.test('DELETE /users/me/sessions/:id revokes one session; another user\'s id is 404', async t => {
  const app = await build(t)
  await addUser(app, 'alice')
  await addUser(app, 'bob')
  const current = await login(app, 'alice')
  const other = await login(app, 'alice')
  const bob = await login(app, 'bob')
  const otherSid = decodeJwt(other.access_token).sid as string
  const res = await app.inject({ method: 'DELETE', url: `/users/me/sessions/${otherSid}`, headers: bearer(current.access_token) })
  t.equal(res.statusCode, 204)
  t.equal((await me(app, other.access_token)).statusCode, 401, 'its access token is refused at once')
  t.equal((await refresh(app, other.refresh_token)).json().error, 'invalid_grant')
  t.equal((await me(app, current.access_token)).statusCode, 200)

  const again = await app.inject({ method: 'DELETE', url: `/users/me/sessions/${otherSid}`, headers: bearer(current.access_token) })
  t.equal(again.statusCode, 404, 'already revoked')
  const bobs = await app.inject({ method: 'DELETE', url: `/users/me/sessions/${decodeJwt(bob.access_token).sid as string}`, headers: bearer(current.access_token) })
  t.equal(bobs.statusCode, 404)
  t.equal(bobs.json().error, 'not_found')
  t.equal((await me(app, bob.access_token)).statusCode, 200, 'bob\'s session is untouched')
  t.equal((await app.inject({ method: 'DELETE', url: '/users/me/sessions/unknown-id', headers: bearer(current.access_token) })).statusCode, 404)
})

t.test('DELETE /users/me/sessions revokes every session, the current one included', async t => {
  const app = await build(t)
  await addUser(app, 'alice')
  await addUser(app, 'bob')
  const sessions = [await login(app, 'alice'), await login(app, 'alice'), await login(app, 'alice')]
  const bob = await login(app, 'bob')
  const res = await app.inject({ method: 'DELETE', url: '/users/me/sessions', headers: bearer(sessions[0]!.access_token) })
  t.equal(res.statusCode, 204)
  for (const s of sessions) {
    t.equal((await me(app, s.access_token)).statusCode, 401)
    t.equal((await refresh(app, s.refresh_token)).statusCode, 400)
  }
  t.equal((await me(app, bob.access_token)).statusCode, 200)
})
