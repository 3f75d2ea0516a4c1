import type { Generated } from 'kysely'

/** Row types as stored. Times are epoch milliseconds; booleans are 0/1 so both dialects agree. */
export interface UsersTable {
  id: Generated<number>
  username: string
  email: string | null
  full_name: string | null
  password_hash: string
  disabled: number
  scopes: string
  created_at: number
  updated_at: number
  lockout_generation: Generated<number>
  email_verified: Generated<number>
}

export interface SessionsTable {
  id: string
  user_id: number
  scope: string
  auth_time: number
  created_at: number
  last_used_at: number
  expires_at: number
  user_agent: string | null
  ip: string | null
  revoked_at: number | null
  /** The registered client the session was opened through (migration 006); null for anonymous public clients. */
  client_id: Generated<string | null>
  /** RFC 8176 methods of the login, space-separated: 'pwd', or 'pwd otp' after the second factor (migration 010). */
  amr: Generated<string>
}

export interface RefreshTokensTable {
  hash: string
  session_id: string
  generation: number
  created_at: number
  used_at: number | null
}

export interface ClientsTable {
  id: string
  name: string
  /** SHA-256 (base64url) of the secret; null for a public client, which cannot authenticate. */
  secret_hash: string | null
  grant_types: string
  scopes: string
  access_token_ttl_seconds: number | null
  disabled: number
  created_at: number
  updated_at: number
  secret_rotated_at: number | null
}

export type MailStatus = 'pending' | 'sent' | 'failed'

export interface MailOutboxTable {
  id: Generated<number>
  recipient: string
  recipient_name: string | null
  subject: string
  /** Null once the mail is sent or failed for good. */
  text_body: string | null
  html_body: string | null
  status: MailStatus
  attempts: Generated<number>
  /** When a pending mail is due; while claimed, the end of the claim's lease. */
  next_attempt_at: number
  claim_token: string | null
  last_error: string | null
  created_at: number
  updated_at: number
}

export type AccountTokenPurpose = 'password_reset' | 'email_verification'

export interface AccountTokensTable {
  hash: string
  user_id: number
  purpose: AccountTokenPurpose
  email: string
  created_at: number
  expires_at: number
  used_at: number | null
}

export interface MfaTotpTable {
  user_id: number
  /** Sealed by src/mfa/secret-box.ts; never the base32 secret itself. */
  secret: string
  /** Null while the enrolment waits for its first code. */
  confirmed_at: number | null
  /** The last time step whose code was accepted (a code is accepted once). */
  last_step: Generated<number>
  created_at: number
}

export interface MfaRecoveryCodesTable {
  hash: string
  user_id: number
  created_at: number
  used_at: number | null
}

export interface MfaChallengesTable {
  hash: string
  user_id: number
  client_id: string | null
  scope: string
  /** The password check's time (seconds): the session's auth_time once the second factor is given. */
  auth_time: number
  attempts: Generated<number>
  created_at: number
  expires_at: number
  used_at: number | null
}

export interface Database {
  users: UsersTable
  sessions: SessionsTable
  refresh_tokens: RefreshTokensTable
  clients: ClientsTable
  mail_outbox: MailOutboxTable
  account_tokens: AccountTokensTable
  mfa_totp: MfaTotpTable
  mfa_recovery_codes: MfaRecoveryCodesTable
  mfa_challenges: MfaChallengesTable
}
