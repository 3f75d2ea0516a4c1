import { LogController, type FastifyBaseLogger, type FastifyLoggerOptions, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'

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
  'client_secret', '*.client_secret', 'body', '*.body',
  'mfa_token', '*.mfa_token', 'otp', '*.otp', 'recovery_code', '*.recovery_code', 'recovery_codes', '*.recovery_codes', 'secret', '*.secret'
]

/** Query parameters whose values are never logged: a token or password sent in a URL. */
const SECRET_QUERY_PARAMS = new Set(['access_token', 'refresh_token', 'token', 'password', 'code', 'mfa_token', 'otp', 'recovery_code'])

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

/** The health probes (routes/health.ts): load balancers and orchestrators call them every few seconds. */
const isHealthProbe = (request: FastifyRequest): boolean => request.url.startsWith('/health/')

/**
 * Fastify's request lines ("incoming request", "request completed"), at
 * `debug` instead of `info` for the health probes, which would otherwise fill
 * the log; errors keep their level. A prefix test on the URL: reading the
 * route's options would build an object on every request.
 */
export class HealthProbesAtDebug extends LogController {
  override incomingRequest (request: FastifyRequest, reply: FastifyReply): void {
    if (!isHealthProbe(request)) { super.incomingRequest(request, reply); return }
    if (!this.isLogDisabled(request)) request.log.debug({ req: request }, 'incoming request')
  }

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error != null || !isHealthProbe(request)) { super.requestCompleted(error, request, reply); return }
    if (!this.isLogDisabled(request)) reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed')
  }
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

/**
 * In development at a terminal: pino-pretty's human-readable lines instead of
 * JSON. pino-pretty is a development dependency, absent from production
 * installs (and from the image), so it is looked up at run time and the JSON
 * logs stay when it is not there. It writes synchronously in this process: a
 * transport's worker thread would need pino's own files beside the bundle.
 */
export async function prettyLogStream (production: boolean, stdout: { isTTY?: boolean } = process.stdout): Promise<LogStream | undefined> {
  if (production || stdout.isTTY !== true) return undefined
  // A name in a variable: the bundler leaves the import to run time instead of bundling it.
  const name = 'pino-pretty'
  try {
    const { default: pretty } = await import(name) as { default: (options: object) => LogStream }
    return pretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' })
  } catch {
    return undefined
  }
}

/** Fastify's "Server listening at …" line, saying what gatehouse serves there. */
export function listeningLine (docsEnabled: boolean): (address: string) => string {
  return address => `gatehouse listening on ${address}${docsEnabled ? ` — API docs at ${address}/docs` : ''}`
}
