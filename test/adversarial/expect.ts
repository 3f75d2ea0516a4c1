import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'

type Tap = Pick<Test, 'equal' | 'match' | 'same'>

/**
 * The RFC 6750 §3.1 answer to a bad token on a protected route: 401,
 * `WWW-Authenticate: Bearer error="invalid_token", …` and the standard body.
 */
export async function expectInvalidToken (t: Tap, app: FastifyInstance, authorization: string, url = '/users/me'): Promise<void> {
  const res = await app.inject({ method: 'GET', url, headers: { authorization } })
  t.equal(res.statusCode, 401, 'status 401')
  t.match(res.headers['www-authenticate'], /^Bearer error="invalid_token", error_description="[^"]+"$/, 'WWW-Authenticate names invalid_token')
  const body = res.json() as Record<string, unknown>
  t.same(Object.keys(body).sort(), ['error', 'error_description'], 'standard error body')
  t.equal(body.error, 'invalid_token')
  t.match(body.error_description, /\S/)
}

export async function expectAccepted (t: Tap, app: FastifyInstance, token: string, username: string): Promise<void> {
  const res = await app.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${token}` } })
  t.equal(res.statusCode, 200, 'a valid token is still accepted')
  t.equal((res.json() as { username?: string }).username, username)
}
