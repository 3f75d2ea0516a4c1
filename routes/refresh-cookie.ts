import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { accessDenied } from '../src/errors.js'

export const REFRESH_COOKIE = 'gatehouse_refresh'
const COOKIE_PATHS = ['/token', '/logout']
/** Browsers cannot add this header to a cross-site form post without a CORS preflight. */
export const CSRF_HEADER = 'x-requested-with'

export interface RefreshCookie {
  read: (request: FastifyRequest) => string | undefined
  set: (reply: FastifyReply, token: string) => void
  clear: (reply: FastifyReply) => void
}

/**
 * With REFRESH_TOKEN_COOKIE=true the refresh token also travels as an
 * HttpOnly, Secure, SameSite=Strict cookie scoped to /token and /logout.
 * A request that relies on the cookie must also pass a CSRF check: the
 * X-Requested-With header is present, and Origin (when sent) is this
 * service's own or a CORS-listed origin, and Sec-Fetch-Site is not cross-site.
 */
export function refreshCookie (app: FastifyInstance): RefreshCookie {
  const { config } = app
  if (!config.sessions.refreshTokenCookie) {
    return { read: () => undefined, set: () => {}, clear: () => {} }
  }
  const trustedOrigins = new Set([new URL(config.publicUrl).origin, ...config.cors.origins.filter(o => o !== '*')])

  return {
    read (request) {
      const token = request.cookies?.[REFRESH_COOKIE]
      if (token === undefined || token === '') return undefined
      const origin = request.headers.origin
      if (request.headers[CSRF_HEADER] === undefined) throw accessDenied(`A request that uses the refresh cookie must send the ${CSRF_HEADER} header`)
      if (origin !== undefined && !trustedOrigins.has(origin)) throw accessDenied('Cross-site request refused')
      if (request.headers['sec-fetch-site'] === 'cross-site') throw accessDenied('Cross-site request refused')
      return token
    },
    set (reply, token) {
      for (const path of COOKIE_PATHS) {
        reply.setCookie(REFRESH_COOKIE, token, {
          path, httpOnly: true, secure: true, sameSite: 'strict', maxAge: config.sessions.absoluteTtlSeconds
        })
      }
    },
    clear (reply) {
      for (const path of COOKIE_PATHS) reply.clearCookie(REFRESH_COOKIE, { path, httpOnly: true, secure: true, sameSite: 'strict' })
    }
  }
}
