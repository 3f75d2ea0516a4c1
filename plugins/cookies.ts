import cookie from '@fastify/cookie'
import fp from 'fastify-plugin'

/** Cookie parsing, only when the refresh token may travel as a cookie. */
export default fp(async (app) => {
  if (app.config.sessions.refreshTokenCookie) await app.register(cookie)
}, { name: 'cookies', dependencies: ['config'], fastify: '5.x' })
