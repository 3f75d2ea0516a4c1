// The two reference servers of the bench, run as child processes by run.mjs:
//   node bench/floor-server.mjs          floor: bare Fastify, a constant /users/me-shaped JSON
//   node bench/floor-server.mjs --auth   auth floor: the same behind @fastify/jwt (HS256, no cache)
// Environment: PORT (0 = any), JWT_SECRET, JWT_ISSUER, JWT_AUDIENCE (auth floor only).
// Prints one line `listening <port>` when ready.
import Fastify from 'fastify'
import fastifyJwt from '@fastify/jwt'

const withAuth = process.argv.includes('--auth')

// The same shape and schema as gatehouse's User response.
const UserSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    username: { type: 'string' },
    email: { type: ['string', 'null'] },
    full_name: { type: ['string', 'null'] },
    disabled: { type: 'boolean' },
    scopes: { type: 'array', items: { type: 'string' } },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' }
  }
}
const CONSTANT_USER = {
  username: 'user000001',
  email: 'user000001@example.test',
  full_name: 'Bench User 1',
  disabled: false,
  scopes: [],
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z'
}

const app = Fastify({ logger: false })

if (withAuth) {
  await app.register(fastifyJwt, {
    secret: process.env.JWT_SECRET,
    verify: {
      algorithms: ['HS256'],
      allowedIss: process.env.JWT_ISSUER,
      allowedAud: process.env.JWT_AUDIENCE,
      requiredClaims: ['sub', 'exp', 'sid']
    }
  })
}

app.get('/users/me', {
  ...(withAuth ? { onRequest: async (request) => { await request.jwtVerify() } } : {}),
  schema: { response: { 200: UserSchema } }
}, async () => CONSTANT_USER)

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) })
process.stdout.write(`listening ${app.server.address().port}\n`)

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => { app.close().then(() => process.exit(0), () => process.exit(1)) })
}
