import type { FastifyInstance } from 'fastify'
import { newRefreshToken, newSessionId } from '../../../src/tokens/refresh-tokens.js'

/**
 * A session of `username` opened through the client `clientId` (as the token
 * endpoint opens one for a registered client), and an access token for it.
 */
export async function sessionThrough (app: FastifyInstance, username: string, clientId: string): Promise<string> {
  const user = await app.userService.get(username)
  const now = Date.now()
  const authTime = Math.floor(now / 1000)
  const id = newSessionId()
  await app.store.sessions.create({
    id,
    userId: user.id,
    scopes: [],
    authTime,
    createdAt: now,
    lastUsedAt: now,
    expiresAt: now + 3_600_000,
    userAgent: null,
    ip: null,
    revokedAt: null,
    clientId
  }, newRefreshToken().hash)
  return app.accessTokens.issue({ username: user.username, scopes: [], sessionId: id, authTime }).token
}
