import cors from '@fastify/cors'
import fp from 'fastify-plugin'

/**
 * CORS from an explicit allow-list: a listed origin is echoed back, any other
 * origin gets no CORS headers at all; credentials only ever go to listed
 * origins (the config refuses credentials with "*").
 * Why a function and not `origin: origins`: given a list, @fastify/cors leaves
 * out only Access-Control-Allow-Origin for an unlisted origin and still sends
 * it Allow-Credentials, Expose-Headers and the preflight headers. Answering
 * false turns CORS off for that request (test/plugins/error-handler.test.ts).
 * @see https://github.com/fastify/fastify-cors
 */
export default fp(async (app) => {
  const { origins, credentials } = app.config.cors
  if (origins.length === 0) return
  const wildcard = origins.includes('*')
  await app.register(cors, {
    origin: wildcard ? '*' : (origin, callback) => { callback(null, origin !== undefined && origins.includes(origin)) },
    credentials: credentials && !wildcard,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Requested-With'],
    exposedHeaders: ['WWW-Authenticate', 'Retry-After'],
    maxAge: 600
  })
}, { name: 'cors', dependencies: ['config'], fastify: '5.x' })
