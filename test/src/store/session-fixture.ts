import type { Session } from '../../../src/sessions/session.js'
import { newSessionId } from '../../../src/tokens/refresh-tokens.js'

/** A live session of `userId`, opened at `now` for a day from 127.0.0.1, as the store tests create them. */
export function sessionFixture (userId: number, now: number, options: { scopes?: string[], clientId?: string | null } = {}): Session {
  return {
    id: newSessionId(),
    userId,
    scopes: options.scopes ?? ['a'],
    authTime: Math.floor(now / 1000),
    createdAt: now,
    lastUsedAt: now,
    expiresAt: now + 86_400_000,
    userAgent: null,
    ip: '127.0.0.1',
    revokedAt: null,
    clientId: options.clientId ?? null
  }
}
