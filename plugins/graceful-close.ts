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
  // Callback-style hooks: they run on every request, and an async hook costs a promise each time.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close')
    done(null, payload)
  })
  app.addHook('onResponse', (_request, _reply, done) => {
    if (closing) app.server.closeIdleConnections()
    done()
  })
}, { name: 'graceful-close', fastify: '5.x' })
