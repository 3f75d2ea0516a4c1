import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify'
import fp from 'fastify-plugin'
import { ServiceError, temporarilyUnavailable, type ErrorCode } from '../src/errors.js'
import { HashQueueFullError } from '../src/passwords/hash-limiter.js'
import { isRedisUnavailable } from '../src/redis/unavailable.js'
import { isStoreUnavailable } from '../src/store/unavailable.js'
import { jwtRefusal } from './jwt.js'
import { createLogThrottle, type LogThrottle } from './log-throttle.js'

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'access_denied',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
  503: 'temporarily_unavailable'
}

const DESCRIPTION_BY_FASTIFY_CODE: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'The request body is too large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'This content type is not accepted here',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'The JSON body is empty',
  FST_ERR_CTP_INVALID_JSON_BODY: 'The JSON body is malformed',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'The Content-Length does not match the body',
  // Fastify's own message echoes the whole URL, query string (and any token in it) included.
  FST_ERR_BAD_URL: 'The URL has malformed percent-encoding'
}

/** Renders any error as `{ error, error_description }` with the right status and headers. */
export function toServiceError (err: FastifyError | Error): ServiceError {
  if (err instanceof ServiceError) return err
  // A refused token (ours or @fastify/jwt's FST_JWT_* errors): the one RFC 6750 invalid_token answer.
  const refusal = jwtRefusal(err)
  if (refusal !== undefined) return refusal
  if (err instanceof HashQueueFullError) {
    return temporarilyUnavailable('The service is busy; try again shortly', 1)
  }
  const fastifyError = err as FastifyError
  if (Array.isArray(fastifyError.validation) && fastifyError.validation.length > 0) {
    const first = fastifyError.validation[0]
    const where = fastifyError.validationContext ?? 'request'
    const path = first?.instancePath === '' || first?.instancePath === undefined ? '' : first.instancePath.replace(/^\//, '').replace(/\//g, '.')
    const extra = first?.keyword === 'additionalProperties' ? `: ${String((first.params as { additionalProperty?: string }).additionalProperty)}` : ''
    const subject = path === '' ? where : `${where}.${path}`
    return new ServiceError('invalid_request', 400, `${subject} ${first?.message ?? 'is invalid'}${extra}`)
  }
  if (isStoreUnavailable(err) || isRedisUnavailable(err)) {
    return temporarilyUnavailable('The service is temporarily unavailable; try again shortly', 2)
  }
  const status = fastifyError.statusCode
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = CODE_BY_STATUS[status] ?? 'invalid_request'
    const description = DESCRIPTION_BY_FASTIFY_CODE[fastifyError.code] ?? (err instanceof SyntaxError ? 'The request body is malformed' : fastifyError.message)
    return new ServiceError(code, status, description)
  }
  return new ServiceError('server_error', 500, 'Internal server error')
}

export function sendError (reply: FastifyReply, error: ServiceError): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value)
  if (error.statusCode === 401 || error.code === 'invalid_grant' || error.code === 'mfa_required') reply.header('cache-control', 'no-store')
  return reply.code(error.statusCode).type('application/json; charset=utf-8')
    .send({ error: error.code, error_description: error.message, ...error.fields })
}

/**
 * Only an unexpected error (500) is logged at error level with its stack.
 * Refusals are expected: 4xx and 429 at info; a 503 (hashing saturated, store
 * or Redis unreachable) at info too, plus one warn line per cause every 10 s
 * with the number left out, so an outage stays visible at LOG_LEVEL=warn
 * without a login flood writing a stack per request.
 */
function logError (request: FastifyRequest, err: Error, error: ServiceError, throttle: LogThrottle): void {
  if (error.statusCode >= 500 && error.statusCode !== 503) {
    request.log.error({ err }, 'request failed')
    return
  }
  if (error.statusCode !== 503) {
    request.log.info({ error: error.code, status: error.statusCode }, error.message)
    return
  }
  const fields = { error: error.code, status: 503, ...(err === error ? {} : { cause: `${err.name}: ${err.message}` }) }
  request.log.info(fields, error.message)
  const skipped = throttle.take(`${err.name}:${String((err as { code?: unknown }).code)}:${err.message}`)
  // skipped: how many such 503s went unlogged at warn since the previous warn line (at most WARN_INTERVAL_MS ago).
  if (skipped !== undefined) request.log.warn({ ...fields, skipped }, error.message)
}

/**
 * The methods our routes answer. OPTIONS is left out: with CORS on, its
 * preflight route matches every path, so it says nothing about this one.
 * HEAD is answered wherever GET is.
 */
const METHODS: HTTPMethods[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']

/** 405 with Allow when the router knows the path under another method; 404 otherwise. */
function notFoundOrNotAllowed (app: FastifyInstance, request: FastifyRequest): ServiceError {
  const path = request.url.split('?')[0] ?? '/'
  const allowed = METHODS.filter(method => app.findRoute({ method, url: path }) !== null)
  // A route of this very method sent us here (a missing file under the /docs/static/* wildcard): 404, not 405.
  const method = request.method === 'HEAD' ? 'GET' : request.method
  if (allowed.length > 0 && !allowed.some(m => m === method)) {
    return new ServiceError('method_not_allowed', 405, `Method ${request.method} is not allowed here`, { allow: allowed.join(', ') })
  }
  return new ServiceError('not_found', 404, `No route for ${request.method} ${path}`)
}

export default fp(async (app: FastifyInstance) => {
  const unavailable = createLogThrottle()
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const error = toServiceError(err)
    logError(request, err, error, unavailable)
    return sendError(reply, error)
  })

  app.setNotFoundHandler((request, reply) => sendError(reply, notFoundOrNotAllowed(app, request)))
}, { name: 'error-handler', fastify: '5.x' })
