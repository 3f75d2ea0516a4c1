import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type Static } from '@sinclair/typebox'
import { onlyErrorResponses } from '../schemas/error.js'
import { MFA_OTP_GRANT } from '../schemas/token.js'
import { KNOWN_SCOPES } from '../src/users/scopes.js'
import { ifNoneMatchHits, jwksDocument } from '../src/tokens/jwks-document.js'

const Jwk = Type.Object({
  kty: Type.String(),
  kid: Type.String(),
  alg: Type.String(),
  use: Type.Literal('sig'),
  n: Type.Optional(Type.String()),
  e: Type.Optional(Type.String()),
  crv: Type.Optional(Type.String()),
  x: Type.Optional(Type.String()),
  y: Type.Optional(Type.String())
}, { additionalProperties: false })

const JwksSchema = Type.Object({ keys: Type.Array(Jwk) }, { additionalProperties: false, description: 'Public signing keys (RFC 7517); empty for HS256' })

const MetadataSchema = Type.Object({
  issuer: Type.String(),
  token_endpoint: Type.String(),
  revocation_endpoint: Type.String(),
  introspection_endpoint: Type.String(),
  jwks_uri: Type.String(),
  grant_types_supported: Type.Array(Type.String()),
  response_types_supported: Type.Array(Type.String()),
  scopes_supported: Type.Array(Type.String()),
  token_endpoint_auth_methods_supported: Type.Array(Type.String()),
  revocation_endpoint_auth_methods_supported: Type.Array(Type.String()),
  introspection_endpoint_auth_methods_supported: Type.Array(Type.String())
}, { additionalProperties: false, description: 'Authorization server metadata (RFC 8414)' })

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const base = app.config.publicUrl
  // Built once from configuration, never from request headers an attacker controls.
  const keys = [...app.keys.byKid.values()].flatMap(k => k.publicJwk === undefined ? [] : [publicMembers(k.publicJwk)])
  const jwks = jwksDocument(keys, app.config.jwt.jwksMaxAgeSeconds)
  const metadata = {
    issuer: base,
    token_endpoint: `${base}/token`,
    revocation_endpoint: `${base}/revoke`,
    introspection_endpoint: `${base}/introspect`,
    jwks_uri: `${base}/.well-known/jwks.json`,
    grant_types_supported: ['password', 'refresh_token', 'client_credentials', MFA_OTP_GRANT],
    response_types_supported: [],
    scopes_supported: [...KNOWN_SCOPES],
    // 'none': the anonymous public client and registered public clients (client_id only).
    token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
    revocation_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
    // RFC 7662 §2.1 also allows a Bearer token (a client-credentials token holding introspect); RFC 8414 has no name for it.
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post']
  }

  app.get('/.well-known/jwks.json', {
    schema: {
      operationId: 'getJwks',
      security: [],
      tags: ['discovery'],
      summary: 'JSON Web Key Set: the public keys that verify access tokens',
      response: {
        200: JwksSchema,
        304: Type.Null({ description: 'Not Modified: the If-None-Match ETag is current; keep the cached key set' }),
        ...onlyErrorResponses(429, 500)
      }
    }
  }, async (request, reply) => {
    reply.header('etag', jwks.etag).header('cache-control', jwks.cacheControl)
    if (ifNoneMatchHits(request.headers['if-none-match'], jwks.etag)) return await reply.code(304).send(null)
    // Serialized once at start: the ETag is the hash of exactly these bytes.
    return await reply.type('application/json; charset=utf-8').serializer(() => jwks.body).send({ keys })
  })

  app.get('/.well-known/oauth-authorization-server', {
    schema: {
      operationId: 'getAuthorizationServerMetadata',
      security: [],
      tags: ['discovery'],
      summary: 'OAuth 2.0 authorization server metadata (RFC 8414)',
      response: { 200: MetadataSchema, ...onlyErrorResponses(429, 500) }
    }
  }, async (_request, reply) => reply.header('cache-control', 'public, max-age=3600').send(metadata))
}

const PUBLIC_MEMBERS = new Set(Object.keys(Jwk.properties))

/**
 * Only public members, by allow-list: a JWK exported from a public KeyObject
 * has no private ones, but a JWKS must never depend on that.
 */
function publicMembers (jwk: Record<string, unknown>): Static<typeof Jwk> {
  return Object.fromEntries(Object.entries(jwk).filter(([name]) => PUBLIC_MEMBERS.has(name))) as Static<typeof Jwk>
}

export default routes
