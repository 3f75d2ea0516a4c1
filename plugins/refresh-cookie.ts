import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { accessDenied } from '../src/errors.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The refresh-token cookie of /token, /revoke and /logout, and its CSRF rule. */
    refreshCookie: RefreshCookie
  }
}

const REFRESH_COOKIE = 'gatehouse_refresh'
const COOKIE_PATHS = ['/token', '/logout']
/** Browsers cannot add this header to a cross-site form post without a CORS preflight. */
const CSRF_HEADER = 'x-requested-with'

export interface RefreshCookie {
  /** onRequest hook of /token, /revoke and /logout: a cross-site request is refused before any work. */
  refuseCrossSite: (request: FastifyRequest) => Promise<void>
  read: (request: FastifyRequest) => string | undefined
  set: (request: FastifyRequest, reply: FastifyReply, token: string) => void
  clear: (request: FastifyRequest, reply: FastifyReply) => void
}

/**
 * With REFRESH_TOKEN_COOKIE=true the refresh token also travels as an
 * HttpOnly, Secure, SameSite=Strict cookie scoped to /token and /logout.
 * One CSRF rule guards reading, setting and clearing it:
 * - a cross-site request (an Origin that is neither this service's nor a
 *   CORS-listed one, or Sec-Fetch-Site: cross-site) to /token, /revoke or
 *   /logout is refused with 403 before anything is done (no login CSRF, no
 *   forced logout);
 * - the cookie is read, set or cleared only on a request that sends the
 *   X-Requested-With header, which a cross-site form cannot add. Other clients
 *   (curl, server-side code, a plain form) get the tokens in the body only.
 *   This also covers browsers that send neither Origin nor Sec-Fetch-Site.
 */
function refreshCookie (app: FastifyInstance): RefreshCookie {
  const { config } = app
  if (!config.sessions.refreshTokenCookie) {
    return { refuseCrossSite: async () => {}, read: () => undefined, set: () => {}, clear: () => {} }
  }
  const trustedOrigins = new Set([new URL(config.publicUrl).origin, ...config.cors.origins.filter(o => o !== '*')])
  const crossSite = (request: FastifyRequest): boolean => {
    const origin = request.headers.origin
    return (origin !== undefined && !trustedOrigins.has(origin)) || request.headers['sec-fetch-site'] === 'cross-site'
  }
  const fromScript = (request: FastifyRequest): boolean => request.headers[CSRF_HEADER] !== undefined

  return {
    async refuseCrossSite (request) {
      if (crossSite(request)) throw accessDenied('Cross-site request refused')
    },
    read (request) {
      const token = request.cookies?.[REFRESH_COOKIE]
      if (token === undefined || token === '') return undefined
      if (!fromScript(request)) throw accessDenied(`A request that uses the refresh cookie must send the ${CSRF_HEADER} header`)
      if (crossSite(request)) throw accessDenied('Cross-site request refused')
      return token
    },
    set (request, reply, token) {
      if (!fromScript(request)) return
      for (const path of COOKIE_PATHS) {
        reply.setCookie(REFRESH_COOKIE, token, {
          path, httpOnly: true, secure: true, sameSite: 'strict', maxAge: config.sessions.absoluteTtlSeconds
        })
      }
    },
    clear (request, reply) {
      if (!fromScript(request)) return
      for (const path of COOKIE_PATHS) reply.clearCookie(REFRESH_COOKIE, { path, httpOnly: true, secure: true, sameSite: 'strict' })
    }
  }
}

export default fp(async (app) => {
  app.decorate('refreshCookie', refreshCookie(app))
}, { name: 'refresh-cookie', dependencies: ['config', 'cookies'], fastify: '5.x' })
