import formbody from '@fastify/formbody'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { invalidRequest, ServiceError } from '../src/errors.js'

const FORM = 'application/x-www-form-urlencoded'

/**
 * Makes the encapsulated route plugin that registers it accept form bodies
 * only, as RFC 6749 requires for the token and revocation endpoints: other
 * content types are 415 before the body is read, and a parameter given twice
 * is invalid_request (RFC 6749 §3.2). fp, so that the parser and hooks land in
 * that route plugin's scope rather than in a scope of their own.
 */
export default fp(async (app) => {
  await app.register(formbody, { bodyLimit: 16 * 1024 })
  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (request.method !== 'POST') return
    const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
    if (type !== FORM) {
      throw new ServiceError('unsupported_media_type', 415, `Send the parameters as ${FORM}`)
    }
  })
  app.addHook('preValidation', async (request: FastifyRequest) => {
    const body = request.body
    if (body === null || body === undefined) return
    for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
      if (Array.isArray(value)) throw invalidRequest(`Parameter given more than once: ${name}`)
    }
  })
}, { name: 'form-only', fastify: '5.x' })
