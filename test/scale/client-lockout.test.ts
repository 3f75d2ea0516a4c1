import { addClient, addUser, basicAuth, build, form, login } from '../helper.js'
import { eachCounterStore } from './counter-stores.js'

type App = Awaited<ReturnType<typeof build>>

async function clientToken (app: App, clientId: string, secret: string): Promise<number> {
  const { payload, headers } = form({ grant_type: 'client_credentials' })
  return (await app.inject({ method: 'POST', url: '/token', payload, headers: { ...headers, authorization: basicAuth(clientId, secret) } })).statusCode
}

eachCounterStore('client authentication failures lock the client out, then the IP; users are not affected', async (t, env) => {
  const app = await build(t, { ...env, LOGIN_MAX_FAILURES_PER_USER: '2', LOGIN_MAX_FAILURES_PER_IP: '4' })
  await addUser(app, 'alice')
  const secret = await addClient(app, 'svc') ?? ''
  const other = await addClient(app, 'svc2') ?? ''
  t.equal(await clientToken(app, 'svc', 'wrong-1'), 401)
  t.equal(await clientToken(app, 'svc', 'wrong-2'), 401)
  t.equal(await clientToken(app, 'svc', secret), 429, 'the client is locked out, even with its secret')
  t.equal(await clientToken(app, 'svc2', other), 200, 'another client from the same IP is not')
  t.equal(await clientToken(app, 'unknown-1', 'x'), 401, 'unknown clients are counted too')
  t.equal(await clientToken(app, 'unknown-2', 'x'), 401)
  t.equal(await clientToken(app, 'svc2', other), 429, 'then the IP is locked out for client authentication')
  t.equal((await login(app, 'alice')).token_type, 'bearer', 'but not for user logins: the keys are apart')
})
