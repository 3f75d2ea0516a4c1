import type { FastifyBaseLogger, FastifyLoggerOptions, FastifyRequest, FastifyServerOptions } from 'fastify'

export type LogStream = NonNullable<FastifyLoggerOptions['stream']>

/**
 * pino JSON logs. Secrets are redacted wherever they could appear: headers
 * (if a serializer ever includes them), bodies, and audit fields.
 */
const REDACT_PATHS = [
  'req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]',
  'headers.authorization', 'headers.cookie',
  'password', '*.password', 'current_password', '*.current_password', 'new_password', '*.new_password',
  'access_token', '*.access_token', 'refresh_token', '*.refresh_token', 'token', '*.token',
  'client_secret', '*.client_secret', 'body', '*.body'
]

/** Query parameters whose values are never logged: a token or password sent in a URL. */
const SECRET_QUERY_PARAMS = new Set(['access_token', 'refresh_token', 'token', 'password', 'code'])

function queryKey (part: string): string {
  const raw = part.split('=', 1)[0] ?? ''
  try { return decodeURIComponent(raw.replace(/\+/g, ' ')).toLowerCase() } catch { return raw.toLowerCase() }
}

/** The URL with the values of secret query parameters replaced; URLs without a query are returned as they are. */
export function redactUrl (url: string): string {
  const q = url.indexOf('?')
  if (q === -1) return url
  const parts = url.slice(q + 1).split('&').map(part =>
    SECRET_QUERY_PARAMS.has(queryKey(part)) ? `${part.split('=', 1)[0] ?? ''}=[redacted]` : part)
  return `${url.slice(0, q)}?${parts.join('&')}`
}

/** Fastify's own request serializer, with the URL redacted. */
function serializeRequest (request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: redactUrl(request.url),
    version: request.headers?.['accept-version'],
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort
  }
}

/** Where a request's logger keeps its request id (see requestLogger). */
const REQUEST_ID = Symbol('gatehouse.requestId')
type RequestLogger = FastifyBaseLogger & { [REQUEST_ID]?: unknown }

/**
 * Every line of a request's logger (and of its children, which inherit the
 * property) carries `reqId`, added at write time: see requestLogger.
 */
function requestIdMixin (_fields: object, _level: number, logger: RequestLogger): Record<string, unknown> {
  return logger[REQUEST_ID] === undefined ? {} : { reqId: logger[REQUEST_ID] }
}

/**
 * Fastify's childLoggerFactory: the request's logger, with its request id
 * held on the logger and written by requestIdMixin, instead of a pino binding.
 * pino serialises a child's bindings when the child is made, through the
 * redaction paths (our wildcard paths apply to every key): about 2-3 µs on
 * every request, though at the default levels most requests never log a line.
 * The lines are the same; only `reqId`'s position among the fields differs.
 */
export function requestLogger (this: unknown, logger: FastifyBaseLogger, bindings: Record<string, unknown>, options: object): FastifyBaseLogger {
  const { reqId, ...others } = bindings
  const child: RequestLogger = logger.child(others, options)
  child[REQUEST_ID] = reqId
  return child
}

export function loggerOptions (level: string, stream?: LogStream): FastifyServerOptions['logger'] {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { req: serializeRequest },
    mixin: requestIdMixin,
    ...(stream === undefined ? {} : { stream })
  }
}
