import type { SessionView } from '../../schemas/sessions.js'

export interface Session {
  id: string
  userId: number
  scopes: string[]
  authTime: number
  createdAt: number
  lastUsedAt: number
  expiresAt: number
  userAgent: string | null
  ip: string | null
  revokedAt: number | null
  /** The registered client the session was opened through; null for an anonymous public client. */
  clientId: string | null
  /**
   * RFC 8176 methods of the login: ['pwd'] or ['pwd', 'otp']. Not read by the
   * Bearer lookup (undefined there): the access token's `amr` claim carries it.
   */
  amr?: string[]
}

export interface SessionLimits {
  /** Idle timeout in milliseconds, counted from the last refresh. */
  idleMs: number
}

export function isSessionActive (session: Pick<Session, 'revokedAt' | 'expiresAt' | 'lastUsedAt'>, limits: SessionLimits, now: number): boolean {
  return session.revokedAt === null && now < session.expiresAt && now < session.lastUsedAt + limits.idleMs
}

export function toSessionView (session: Session, currentId: string, limits: SessionLimits): SessionView {
  return {
    id: session.id,
    created_at: new Date(session.createdAt).toISOString(),
    last_used_at: new Date(session.lastUsedAt).toISOString(),
    // The session ends at its absolute limit or when it has been idle too long, whichever is first.
    expires_at: new Date(Math.min(session.expiresAt, session.lastUsedAt + limits.idleMs)).toISOString(),
    user_agent: session.userAgent,
    ip: session.ip,
    current: session.id === currentId
  }
}
