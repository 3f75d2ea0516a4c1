import t from 'tap'
import { addUser, bearer, build, form, login, PASSWORD } from '../helper.js'
import { expectAccepted, expectInvalidToken } from './expect.js'

/** Well-signed, unexpired tokens whose user or session is gone: 401 invalid_token on every request. */
t.test('tokens of deleted, disabled and logged-out users, and of revoked sessions', async t => {
  const app = await build(t)
  for (const name of ['deleted', 'disabled', 'loggedout', 'revoked', 'changer', 'everywhere', 'witness']) await addUser(app, name)
  const token = async (name: string) => (await login(app, name)).access_token

  const deleted = await token('deleted')
  await app.userService.delete('deleted')
  await expectInvalidToken(t, app, `Bearer ${deleted}`)

  const disabled = await token('disabled')
  await app.userService.update('disabled', { disabled: true })
  await expectInvalidToken(t, app, `Bearer ${disabled}`)
  await app.userService.update('disabled', { disabled: false })
  await expectInvalidToken(t, app, `Bearer ${disabled}`)

  const loggedOut = await token('loggedout')
  const logout = await app.inject({ method: 'POST', url: '/logout', headers: bearer(loggedOut) })
  t.equal(logout.statusCode, 204)
  await expectInvalidToken(t, app, `Bearer ${loggedOut}`)

  const revokedTokens = await login(app, 'revoked')
  const revoke = await app.inject({ method: 'POST', url: '/revoke', ...form({ token: revokedTokens.refresh_token }) })
  t.equal(revoke.statusCode, 200)
  await expectInvalidToken(t, app, `Bearer ${revokedTokens.access_token}`)

  const older = await token('changer')
  const current = await token('changer')
  const change = await app.inject({
    method: 'PUT',
    url: '/users/me/password',
    headers: bearer(current),
    payload: { current_password: PASSWORD, new_password: 'Another-Quiet-Harbor-77' }
  })
  t.equal(change.statusCode, 204)
  await expectInvalidToken(t, app, `Bearer ${older}`)
  await expectAccepted(t, app, current, 'changer')

  const first = await token('everywhere')
  const second = await token('everywhere')
  t.equal((await app.inject({ method: 'DELETE', url: '/users/me/sessions', headers: bearer(second) })).statusCode, 204)
  await expectInvalidToken(t, app, `Bearer ${first}`)
  await expectInvalidToken(t, app, `Bearer ${second}`)

  await expectAccepted(t, app, await token('witness'), 'witness')
})

t.test('a deleted user re-created under the same name does not revive old tokens', async t => {
  const app = await build(t)
  await addUser(app, 'phoenix')
  const old = (await login(app, 'phoenix')).access_token
  await app.userService.delete('phoenix')
  await addUser(app, 'phoenix')
  await expectInvalidToken(t, app, `Bearer ${old}`)
})
