import type { LockoutScope } from '../auth/login-throttle.js'

/**
 * Every audit line the service writes, as it is logged: field names are
 * snake_case, like the rest of the wire format. Domain code emits these
 * through an `Audit` callback; plugins/audit.ts logs them and counts them.
 */
export type AuditEvent =
  | { event: 'login.succeeded', username: string, session_id: string }
  | { event: 'login.failed', username: string, reason: 'bad_credentials' | 'inactive' | 'locked_out' | 'email_unverified' | 'bad_otp' | 'otp_replayed' }
  | { event: 'login.locked_out', username: string, scope: LockoutScope }
  | { event: 'client.token_issued', client_id: string, scope: string }
  | { event: 'client.auth_failed', client_id: string, reason: 'unknown_client' | 'bad_secret' | 'disabled' | 'no_secret' | 'locked_out' }
  | { event: 'client.locked_out', client_id: string, scope: LockoutScope }
  | { event: 'token.refreshed', username: string, session_id: string }
  | { event: 'token.reuse_detected', username: string, session_id: string }
  | { event: 'session.revoked', via: 'logout' | 'revoke' | 'sessions', username: string, session_id: string }
  | { event: 'session.revoked_all', username: string, revoked_sessions: number }
  | { event: 'user.created', username: string }
  | { event: 'user.updated' | 'user.disabled', username: string, changes: string[], revoked_sessions: number }
  | { event: 'user.deleted', username: string }
  | { event: 'user.password_changed', username: string, revoked_sessions: number }
  | { event: 'user.email_changed' | 'user.email_verified', username: string }
  | { event: 'user.password_reset', username: string, revoked_sessions: number }
  | { event: 'users.imported', created: number, updated: number, skipped: number, revoked_sessions: number }
  | { event: 'client.created', client_id: string, grant_types: string[], scopes: string[], public: boolean }
  | { event: 'client.updated', client_id: string, changes: string[] }
  | { event: 'client.deleted', client_id: string }
  | { event: 'client.secret_rotated', client_id: string }
  | { event: 'login.mfa_required', username: string }
  | { event: 'login.second_factor', username: string, method: 'totp' | 'recovery_code' }
  | { event: 'mfa.enrolment_started', username: string }
  | { event: 'mfa.enabled' | 'mfa.disabled' | 'mfa.recovery_codes_regenerated' | 'mfa.reset', username: string, revoked_sessions: number }

export type AuditEventName = AuditEvent['event']

export type Audit = (event: AuditEvent) => void

// A record, so the compiler refuses a list that misses or invents an event.
const NAMES: Record<AuditEventName, true> = {
  'login.succeeded': true,
  'login.mfa_required': true,
  'login.second_factor': true,
  'mfa.enrolment_started': true,
  'mfa.enabled': true,
  'mfa.disabled': true,
  'mfa.recovery_codes_regenerated': true,
  'mfa.reset': true,
  'login.failed': true,
  'login.locked_out': true,
  'client.token_issued': true,
  'client.auth_failed': true,
  'client.locked_out': true,
  'token.refreshed': true,
  'token.reuse_detected': true,
  'session.revoked': true,
  'session.revoked_all': true,
  'user.created': true,
  'user.updated': true,
  'user.disabled': true,
  'user.deleted': true,
  'user.password_changed': true,
  'user.email_changed': true,
  'user.email_verified': true,
  'user.password_reset': true,
  'users.imported': true,
  'client.created': true,
  'client.updated': true,
  'client.deleted': true,
  'client.secret_rotated': true
}

/** Every event name, e.g. to export each counter at zero from the start. */
export const AUDIT_EVENT_NAMES = Object.keys(NAMES) as AuditEventName[]
