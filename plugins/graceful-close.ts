import fp from 'fastify-plugin'

/**
 * Drains keep-alive connections on app.close() (SIGTERM). Node's
 * server.close() stops accepting connections and closes the connections idle
 * at that moment, but a connection whose request was in flight stays open
 * after its response until keepAliveTimeout, which would hold the process
 * past its shutdown deadline. So once closing has begun, every response says
 * `Connection: close` and connections that turn idle are closed at once.
 * Requests already read are served normally (return503OnClosing is off).
 */
export default fp(async (app) => {
  let closing = false
  app.addHook('preClose', async () => { closing = true })
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close')
  })
  app.addHook('onResponse', async () => {
    if (closing) app.server.closeIdleConnections()
  })
}, { name: 'graceful-close', fastify: '5.x' })
