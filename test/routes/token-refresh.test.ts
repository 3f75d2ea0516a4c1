import { decodeJwt } from 'jose'
import t from 'tap'
import { addUser, build, login, me, refresh, type Tokens } from '../helper.js'

t.test('rotation: a chain of 5 refreshes, each old token refused afterwards', async t => {
  const app = await build(t)
  await addUser(app, 'alice', { scopes: ['users:admin'] })
  const first = await login(app, 'alice')
  const sid = decodeJwt(first.access_token).sid
  let current: Tokens = first
  const seen = new Set([first.refresh_token])
  for (let i = 1; i <= 5; i++) {
    const res = await refresh(app, current.refresh_token)
    t.equal(res.statusCode, 200, `refresh ${i}`)
    t.equal(res.headers['cache-control'], 'no-store')
    const next: Tokens = res.json()
    t.notOk(seen.has(next.refresh_token), `refresh ${i} returns a new refresh token`)
    seen.add(next.refresh_token)
    t.equal(decodeJwt(next.access_token).sid, sid, 'same session')
    t.equal(next.scope, 'users:admin')
    t.equal((await me(app, next.access_token)).statusCode, 200)
    current = next
  }
  // Presenting any rotated token is reuse: check the last rotated one only once,
  // because that revokes the session (tested below).
  const stale = await refresh(app, first.refresh_token)
  t.equal(stale.statusCode, 400)
  t.equal(stale.json().error, 'invalid_grant')
})

t.test('every rotated token is refused', async t => {
  const app = await build(t)
  await addUser(app, 'alice')
  const tokens = [await login(app, 'alice')]
  for (let i = 0; i < 5; i++) tokens.push((await refresh(app, (tokens[i] as Tokens).refresh_token)).json())
  for (const old of tokens.slice(0, 5)) {
    const res = await refresh(app, old.refresh_token)
    t.equal(res.statusCode, 400)
    t.equal(res.json().error, 'invalid_grant')
  }
})

t.test('reuse detection revokes the session: newest refresh token and live access tokens', async t => {
  const app = await build(t)
  await addUser(app, 'alice')
  const first = await login(app, 'alice')
  const second: Tokens = (await refresh(app, first.refresh_token)).json()
  const third: Tokens = (await refresh(app, second.refresh_token)).json()
  t.equal((await me(app, third.access_token)).statusCode, 200)

  const reused = await refresh(app, first.refresh_token)
  t.equal(reused.statusCode, 400)
  t.equal(reused.json().error, 'invalid_grant')
  t.match(reused.json().error_description, /already used/)

  const newest = await refresh(app, third.refresh_token)
  t.equal(newest.statusCode, 400, 'the newest refresh token is dead')
  t.equal(newest.json().error, 'invalid_grant')
  for (const tokens of [first, second, third]) {
    const res = await me(app, tokens.access_token)
    t.equal(res.statusCode, 401, 'access tokens of the session are refused')
    t.equal(res.json().error, 'invalid_token')
  }
  const other = await login(app, 'alice')
  t.equal((await me(app, other.access_token)).statusCode, 200, 'other sessions are untouched')
})

t.test('concurrent refreshes of one token: exactly one wins', async t => {
  const app = await build(t)
  await addUser(app, 'alice')
  const tokens = await login(app, 'alice')
  const results = await Promise.all(Array.from({ length: 5 }, async () => await refresh(app, tokens.refresh_token)))
  const statuses = results.map(r => r.statusCode).sort()
  t.same(statuses, [200, 400, 400, 400, 400])
  for (const loser of results.filter(r => r.statusCode !== 200)) t.equal(loser.json().error, 'invalid_grant')
})

t.test('scope on refresh: narrowing works, widening is invalid_scope and does not consume the token', async t => {
  const app = await build(t)
  await addUser(app, 'alice', { scopes: ['reports:read', 'users:admin'] })
  const narrow = await login(app, 'alice', undefined, { scope: 'reports:read' })
  const widened = await refresh(app, narrow.refresh_token, { scope: 'reports:read users:admin' })
  t.equal(widened.statusCode, 400)
  t.equal(widened.json().error, 'invalid_scope')
  const still = await refresh(app, narrow.refresh_token)
  t.equal(still.statusCode, 200, 'the refused refresh did not consume the token')
  t.equal(still.json().scope, 'reports:read')

  const full = await login(app, 'alice')
  const narrowed = await refresh(app, full.refresh_token, { scope: 'users:admin' })
  t.equal(narrowed.statusCode, 200)
  t.equal(narrowed.json().scope, 'users:admin')
  t.equal(decodeJwt(narrowed.json().access_token).scope, 'users:admin')
})

t.test('auth_time is kept across refreshes', async t => {
  const app = await build(t)
  await addUser(app, 'alice')
  const first = await login(app, 'alice')
  const authTime = decodeJwt(first.access_token).auth_time
  // Move the session's password time into the past so a new one would differ.
  const sid = decodeJwt(first.access_token).sid as string
  await app.store.handle.db.updateTable('sessions').set({ auth_time: Number(authTime) - 100 }).where('id', '=', sid).execute()
  let current = first
  for (let i = 0; i < 3; i++) {
    current = (await refresh(app, current.refresh_token)).json()
    t.equal(decodeJwt(current.access_token).auth_time, Number(authTime) - 100)
  }
})

t.test('idle timeout ends the session', async t => {
  const app = await build(t, {}, config => { config.sessions.idleTtlSeconds = 3600 })
  await addUser(app, 'alice')
  const tokens = await login(app, 'alice')
  const sid = decodeJwt(tokens.access_token).sid as string
  await app.store.handle.db.updateTable('sessions').set({ last_used_at: Date.now() - 3601_000 }).where('id', '=', sid).execute()
  const res = await refresh(app, tokens.refresh_token)
  t.equal(res.statusCode, 400)
  t.equal(res.json().error, 'invalid_grant')
  t.equal((await me(app, tokens.access_token)).statusCode, 401, 'its access token too')
})

t.test('a refresh keeps an idle session alive', async t => {
  const app = await build(t, {}, config => { config.sessions.idleTtlSeconds = 3600 })
  await addUser(app, 'alice')
  const tokens = await login(app, 'alice')
  const sid = decodeJwt(tokens.access_token).sid as string
  const longAgo = Date.now() - 3000_000
  await app.store.handle.db.updateTable('sessions').set({ last_used_at: longAgo }).where('id', '=', sid).execute()
  const next = await refresh(app, tokens.refresh_token)
  t.equal(next.statusCode, 200, 'still within the idle timeout')
  const row = await app.store.handle.db.selectFrom('sessions').select('last_used_at').where('id', '=', sid).executeTakeFirstOrThrow()
  t.ok(Number(row.last_used_at) > longAgo + 2000_000, 'last_used_at moved to now')
})

t.test('absolute lifetime ends the session even when it is used', async t => {
  const app = await build(t, {}, config => { config.sessions.absoluteTtlSeconds = 3600 })
  await addUser(app, 'alice')
  const tokens = await login(app, 'alice')
  const sid = decodeJwt(tokens.access_token).sid as string
  const row = await app.store.handle.db.selectFrom('sessions').select(['created_at', 'expires_at']).where('id', '=', sid).executeTakeFirstOrThrow()
  t.equal(Number(row.expires_at) - Number(row.created_at), 3_600_000, 'expires_at = created_at + the absolute lifetime')
  await app.store.handle.db.updateTable('sessions').set({ expires_at: Date.now() - 1 }).where('id', '=', sid).execute()
  const res = await refresh(app, tokens.refresh_token)
  t.equal(res.statusCode, 400)
  t.equal(res.json().error, 'invalid_grant')
  t.match(res.json().error_description, /ended/)
  t.equal((await me(app, tokens.access_token)).statusCode, 401)
})

t.test('garbage and unknown refresh tokens', async t => {
  const app = await build(t)
  for (const token of ['garbage', 'A'.repeat(43), 'A'.repeat(512)]) {
    const res = await refresh(app, token)
    t.equal(res.statusCode, 400, token.slice(0, 10))
    t.equal(res.json().error, 'invalid_grant')
  }
})

t.test('a disabled user cannot refresh', async t => {
  const app = await build(t)
  await addUser(app, 'alice')
  const tokens = await login(app, 'alice')
  await app.store.handle.db.updateTable('users').set({ disabled: 1 }).where('username', '=', 'alice').execute()
  const res = await refresh(app, tokens.refresh_token)
  t.equal(res.statusCode, 400)
  t.same(res.json(), { error: 'invalid_grant', error_description: 'Inactive user' })
})

t.test('scopes removed from the user are dropped on refresh', async t => {
  const app = await build(t)
  await addUser(app, 'alice', { scopes: ['reports:read', 'users:admin'] })
  const tokens = await login(app, 'alice')
  await app.userService.update('alice', { scopes: ['reports:read'] })
  const res = await refresh(app, tokens.refresh_token)
  t.equal(res.statusCode, 200)
  t.equal(res.json().scope, 'reports:read')
})
