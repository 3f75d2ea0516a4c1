import helmet from '@fastify/helmet'
import fp from 'fastify-plugin'

/**
 * helmet's defaults (CSP that Swagger UI's static pages satisfy, nosniff,
 * frame-ancestors none…). HSTS is only sent over TLS, or behind a trusted
 * proxy that says the client used https: over plain HTTP it means nothing.
 * @see https://github.com/fastify/fastify-helmet
 */
export default fp(async (app) => {
  await app.register(helmet, {
    hsts: false,
    crossOriginEmbedderPolicy: false,
    // upgrade-insecure-requests would break Swagger UI on a plain-HTTP development instance.
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } }
  })
  app.addHook('onSend', async (request, reply) => {
    if (request.protocol === 'https') reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains')
  })
}, { name: 'security-headers', dependencies: ['config'], fastify: '5.x' })
