import Fastify from 'fastify'
import fastifyJwt from '@fastify/jwt'
import { createIntrospector } from './introspection.mjs'
import { createKeyLookup, jwksTtlSeconds, KeysUnavailable, TokenRefused } from './jwks-keys.mjs'

/** gatehouse allows the same skew (src/tokens/access-tokens.ts). */
const CLOCK_SKEW_SECONDS = 30

/** RFC 6750 §3: 401 with the reason in WWW-Authenticate and the body. */
function refuse (reply, description) {
  return reply.code(401)
    .header('www-authenticate', 'Bearer error="invalid_token"')
    .send({ error: 'invalid_token', error_description: description })
}

/** fast-jwt's and @fastify/jwt's errors as a short reason; never their text, which can echo the token. */
function reasonOf (err) {
  if (err instanceof TokenRefused) return err.message
  const code = String(err?.code ?? '')
  if (code === 'FST_JWT_NO_AUTHORIZATION_IN_HEADER' || code === 'FST_JWT_BAD_REQUEST') return 'Bearer token required'
  if (code.endsWith('_EXPIRED')) return 'The access token expired'
  if (code === 'FAST_JWT_INVALID_ALGORITHM') return 'The access token is signed with an algorithm this service does not accept'
  if (code === 'FAST_JWT_INVALID_SIGNATURE') return 'The access token signature is invalid'
  if (code === 'FAST_JWT_INVALID_CLAIM_VALUE' || code === 'FAST_JWT_MISSING_REQUIRED_CLAIM' || code === 'FAST_JWT_INVALID_CLAIM_TYPE') return 'The access token is not for this service (iss, aud or typ) or misses a claim'
  if (code.startsWith('FST_JWT_') || code.startsWith('FAST_JWT_')) return 'The access token is invalid'
  return undefined
}

/**
 * A resource server for gatehouse access tokens. /hello verifies offline
 * with the JWKS; /sensitive also asks gatehouse whether the session behind
 * the token is still live (introspection), so a logout counts at once.
 */
export async function buildApp (settings) {
  const app = Fastify({ logger: { level: settings.logLevel, redact: ['req.headers.authorization'] } })
  const { issuer, audience, algorithm } = settings
  const publicKeyOf = createKeyLookup({
    issuer,
    algorithm,
    ttlSeconds: await jwksTtlSeconds(settings, app.log),
    missCooldownSeconds: settings.jwksMissCooldownSeconds
  })
  const introspect = settings.introspection === undefined ? undefined : createIntrospector(settings.introspection)

  await app.register(fastifyJwt, {
    // The key callback needs the header (kid), so the whole token is decoded.
    decode: { complete: true },
    secret: async (_request, token) => {
      // Pinned: the token's alg must be the configured one; it never chooses (fast-jwt checks it again below).
      if (token.header?.alg !== algorithm) throw new TokenRefused('The access token is signed with an algorithm this service does not accept')
      return await publicKeyOf(token.header.kid)
    },
    verify: {
      algorithms: [algorithm],
      allowedIss: issuer,
      allowedAud: audience,
      checkTyp: 'at+jwt',
      requiredClaims: ['iss', 'aud', 'sub', 'exp', 'iat'],
      clockTolerance: CLOCK_SKEW_SECONDS * 1000
    }
  })

  async function authenticate (request, reply) {
    try {
      await request.jwtVerify()
    } catch (err) {
      if (err instanceof KeysUnavailable) {
        request.log.warn({ err }, err.message)
        return reply.code(503).send({ error: 'temporarily_unavailable', error_description: err.message })
      }
      const reason = reasonOf(err)
      if (reason === undefined) throw err
      return refuse(reply, reason)
    }
  }

  app.get('/hello', { onRequest: authenticate }, async request => {
    const { sub, scope } = request.user
    return { hello: sub, scope: scope ?? '', verified: 'offline' }
  })

  app.get('/sensitive', { onRequest: authenticate }, async (request, reply) => {
    if (introspect === undefined) return reply.code(503).send({ error: 'temporarily_unavailable', error_description: 'Introspection is not configured (INTROSPECTION_CLIENT_ID)' })
    let answer
    try {
      answer = await introspect(request.headers.authorization.replace(/^Bearer +/i, '').trim())
    } catch (err) {
      request.log.warn({ err }, 'introspection failed')
      return reply.code(503).send({ error: 'temporarily_unavailable', error_description: 'Could not check the token with gatehouse' })
    }
    if (!answer.active || answer.sub !== request.user.sub) return refuse(reply, 'The access token is no longer active')
    return { hello: answer.sub, username: answer.username, scope: answer.scope ?? '', verified: 'introspection' }
  })

  return app
}
