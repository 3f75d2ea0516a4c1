import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'
import { ClientSchema } from '../schemas/clients.js'
import { ErrorResponseSchema } from '../schemas/error.js'
import { UserSchema } from '../schemas/users.js'
import { SCOPE_DESCRIPTIONS } from '../src/users/scopes.js'

/**
 * OpenAPI 3 document at /docs/json and Swagger UI at /docs (unless
 * DOCS_ENABLED=false). The OAuth2 password flow points at /token, so the
 * Authorize button logs in.
 * @see https://github.com/fastify/fastify-swagger
 */
export default fp(async (app) => {
  app.addSchema(ErrorResponseSchema)
  app.addSchema(UserSchema)
  app.addSchema(ClientSchema)
  // The shared schemas above are referenced by the routes; only the documentation itself is optional.
  if (!app.config.docsEnabled) return
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'gatehouse',
        version: '0.1.0',
        description: 'OAuth2 authentication service: password, refresh and client-credentials grants, JWT access tokens, rotating refresh tokens, sessions, revocation and token introspection.',
        // package.json's "license" (test/plugins/swagger.test.ts keeps them equal).
        license: { name: 'UNLICENSED' }
      },
      // Relative: the API is wherever the document was fetched from, so Swagger UI's calls stay
      // same-origin (the docs CSP allows only 'self') through any host name or proxy. Never built
      // from the Host header (an attacker's value); PUBLIC_URL stays the issuer and the discovery URLs.
      servers: [{ url: '/' }],
      components: {
        securitySchemes: {
          OAuth2PasswordBearer: {
            type: 'oauth2',
            flows: {
              password: {
                tokenUrl: '/token',
                refreshUrl: '/token',
                scopes: SCOPE_DESCRIPTIONS
              }
            }
          },
          // A registered client's id and secret (RFC 6749 §2.3.1 client_secret_basic) at /token, /revoke and /introspect.
          clientBasic: {
            type: 'http',
            scheme: 'basic',
            description: 'A registered client: client_id and client_secret, each form-urlencoded first (RFC 6749 §2.3.1)'
          },
          // A service's own token (RFC 6749 §4.4), e.g. to call /introspect with the introspect scope.
          OAuth2ClientCredentials: {
            type: 'oauth2',
            flows: {
              clientCredentials: {
                tokenUrl: '/token',
                scopes: SCOPE_DESCRIPTIONS
              }
            }
          }
        }
      },
      tags: [
        { name: 'auth', description: 'Tokens, refresh, revocation' },
        { name: 'account', description: 'The user\'s own account: signed in, or by a mailed token' },
        { name: 'mfa', description: 'Two-factor login (TOTP, RFC 6238) and recovery codes' },
        { name: 'admin', description: 'User management (scope users:admin)' },
        { name: 'clients', description: 'Registered OAuth clients (scope clients:admin)' },
        { name: 'discovery', description: 'Keys and metadata for resource servers' },
        { name: 'operations', description: 'Health' }
      ]
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => typeof json.$id === 'string' ? json.$id : `def-${i}`
    }
  })
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    // Swagger UI's bundle sets inline styles (blocked otherwise, seen in Chromium), and
    // upgrade-insecure-requests would send a plain-HTTP instance's Authorize request to https.
    transformStaticCSP: (header: string) => header
      .replace("style-src 'self' https:", "style-src 'self' https: 'unsafe-inline'")
      .replace(/\s*upgrade-insecure-requests;?/, ''),
    uiConfig: { persistAuthorization: false, tryItOutEnabled: true }
  })
}, { name: 'swagger', dependencies: ['config'], fastify: '5.x' })
