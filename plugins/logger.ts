import type { FastifyLoggerOptions, FastifyServerOptions } from 'fastify'

export type LogStream = NonNullable<FastifyLoggerOptions['stream']>

/**
 * pino JSON logs. Secrets are redacted wherever they could appear: headers
 * (if a serializer ever includes them), bodies, and audit fields.
 */
export const REDACT_PATHS = [
  'req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]',
  'headers.authorization', 'headers.cookie',
  'password', '*.password', 'current_password', '*.current_password', 'new_password', '*.new_password',
  'access_token', '*.access_token', 'refresh_token', '*.refresh_token', 'token', '*.token',
  'client_secret', '*.client_secret', 'body', '*.body'
]

export function loggerOptions (level: string, stream?: LogStream): FastifyServerOptions['logger'] {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...(stream === undefined ? {} : { stream })
  }
}
