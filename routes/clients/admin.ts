import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import {
  ClientIdParamsSchema, ClientListQuerySchema, ClientListSchema, ClientPatchSchema, ClientRef, ClientRegistrationSchema,
  ClientSecretSchema, NewClientSchema
} from '../../schemas/clients.js'
import { errorResponses, NoContent } from '../../schemas/error.js'
import { toClientView } from '../../src/clients/client-view.js'
import { CLIENTS_ADMIN_SCOPE } from '../../src/users/scopes.js'

const security = [{ OAuth2PasswordBearer: [CLIENTS_ADMIN_SCOPE] }]
const clientUrl = (clientId: string) => `/clients/${encodeURIComponent(clientId)}`

/** The admin API of registered OAuth clients: scope clients:admin; every change also needs a recent login. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const admin = [app.authenticate, app.requireScopes(CLIENTS_ADMIN_SCOPE), app.requireAdminSecondFactor]
  const adminChange = [...admin, app.requireRecentLogin]

  app.post('/clients', {
    preHandler: adminChange,
    schema: {
      operationId: 'createClient',
      tags: ['clients'],
      summary: 'Register an OAuth client; a confidential client\'s secret is in this answer only',
      security,
      body: ClientRegistrationSchema,
      response: { 201: NewClientSchema, ...errorResponses(400, 401, 403, 409) }
    }
  }, async (request, reply) => {
    const { client_id: clientId, name, grant_types: grantTypes, scopes, access_token_ttl_seconds: accessTokenTtlSeconds } = request.body
    const { client, secret } = await app.clientRegistry.register({ clientId, name, grantTypes, scopes, accessTokenTtlSeconds, public: request.body.public })
    request.audit({ event: 'client.created', client_id: client.id, grant_types: client.grantTypes, scopes: client.scopes, public: secret === undefined })
    return reply.code(201).header('location', clientUrl(client.id)).header('cache-control', 'no-store')
      .send({ ...toClientView(client), ...(secret !== undefined && { client_secret: secret }) })
  })

  app.get('/clients', {
    preHandler: admin,
    schema: {
      operationId: 'listClients',
      tags: ['clients'],
      summary: 'List registered clients (cursor pagination by client_id)',
      security,
      querystring: ClientListQuerySchema,
      response: { 200: ClientListSchema, ...errorResponses(400, 401, 403) }
    }
  }, async (request) => {
    const page = await app.clientRegistry.list({ after: request.query.after, limit: request.query.limit ?? 50 })
    return { clients: page.clients.map(toClientView), next_cursor: page.nextCursor }
  })

  app.get('/clients/:client_id', {
    preHandler: admin,
    schema: {
      operationId: 'getClient',
      tags: ['clients'],
      summary: 'Read a registered client (never its secret)',
      security,
      params: ClientIdParamsSchema,
      response: { 200: ClientRef('The client'), ...errorResponses(401, 403, 404) }
    }
  }, async (request) => toClientView(await app.clientRegistry.get(request.params.client_id)))

  app.patch('/clients/:client_id', {
    preHandler: adminChange,
    schema: {
      operationId: 'updateClient',
      tags: ['clients'],
      summary: 'Update a client (name, grant_types, scopes, access_token_ttl_seconds, disabled); disabling revokes every session opened through it',
      security,
      params: ClientIdParamsSchema,
      body: ClientPatchSchema,
      response: { 200: ClientRef('The updated client'), ...errorResponses(400, 401, 403, 404) }
    }
  }, async (request) => {
    const { name, grant_types: grantTypes, scopes, access_token_ttl_seconds: accessTokenTtlSeconds, disabled } = request.body
    const client = await app.clientRegistry.update(request.params.client_id, { name, grantTypes, scopes, accessTokenTtlSeconds, disabled })
    request.audit({ event: 'client.updated', client_id: client.id, changes: Object.keys(request.body) })
    return toClientView(client)
  })

  app.delete('/clients/:client_id', {
    preHandler: adminChange,
    schema: {
      operationId: 'deleteClient',
      tags: ['clients'],
      summary: 'Delete a client and every session opened through it',
      security,
      params: ClientIdParamsSchema,
      response: { 204: NoContent, ...errorResponses(401, 403, 404) }
    }
  }, async (request, reply) => {
    await app.clientRegistry.delete(request.params.client_id)
    request.audit({ event: 'client.deleted', client_id: request.params.client_id })
    return reply.code(204).send(null)
  })

  app.post('/clients/:client_id/secret', {
    preHandler: adminChange,
    schema: {
      operationId: 'rotateClientSecret',
      tags: ['clients'],
      summary: 'Replace a confidential client\'s secret: the new one is in this answer only, the old one stops working at once',
      security,
      params: ClientIdParamsSchema,
      response: { 200: ClientSecretSchema, ...errorResponses(400, 401, 403, 404) }
    }
  }, async (request, reply) => {
    const { client, secret } = await app.clientRegistry.rotateSecret(request.params.client_id)
    request.audit({ event: 'client.secret_rotated', client_id: client.id })
    return reply.header('cache-control', 'no-store').send({ client_id: client.id, client_secret: secret })
  })
}

export default routes
