import type { FastifyLoggerOptions, FastifyRequest, FastifyServerOptions } from 'fastify'

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

export function loggerOptions (level: string, stream?: LogStream): FastifyServerOptions['logger'] {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { req: serializeRequest },
    ...(stream === undefined ? {} : { stream })
  }
}
