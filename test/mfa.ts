import { execFileSync } from 'node:child_process'
import type { FastifyInstance } from 'fastify'
import { bearer, form, PASSWORD } from './helper.js'

/**
 * TOTP codes for tests, computed by an independent implementation: oathtool
 * (Debian's oath-toolkit), not the service's own library. `atMs` picks the
 * moment (default now), so a test can ask for the next step's code or one
 * from the past.
 */
export function oathtoolCode (secret: string, atMs = Date.now()): string {
  return execFileSync('oathtool', ['--totp', '--base32', `--now=@${Math.floor(atMs / 1000)}`, secret], { encoding: 'utf8' }).trim()
}

export const MFA_OTP_GRANT = 'urn:gatehouse:params:oauth:grant-type:mfa-otp'
export const STEP_MS = 30_000

/** Enrols `accessToken`'s user in TOTP and confirms it with oathtool's code; the secret and the recovery codes. */
export async function enrolTotp (app: FastifyInstance, accessToken: string): Promise<{ secret: string, recoveryCodes: string[] }> {
  const started = await app.inject({ method: 'POST', url: '/users/me/mfa/totp', headers: bearer(accessToken) })
  if (started.statusCode !== 200) throw new Error(`enrolment failed: ${started.statusCode} ${started.body}`)
  const { secret } = started.json()
  const confirmed = await app.inject({ method: 'POST', url: '/users/me/mfa/totp/confirm', headers: bearer(accessToken), payload: { code: oathtoolCode(secret) } })
  if (confirmed.statusCode !== 200) throw new Error(`confirmation failed: ${confirmed.statusCode} ${confirmed.body}`)
  return { secret, recoveryCodes: confirmed.json().recovery_codes }
}

/** The first step of a login for a user with TOTP: the mfa_token of the 403 mfa_required. */
export async function passwordStep (app: FastifyInstance, username: string, password = PASSWORD, extra: Record<string, string> = {}): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/token', ...form({ username, password, ...extra }) })
  if (res.statusCode !== 403 || res.json().error !== 'mfa_required') throw new Error(`expected mfa_required: ${res.statusCode} ${res.body}`)
  return res.json().mfa_token
}

export async function otpStep (app: FastifyInstance, mfaToken: string, proof: { otp?: string, recovery_code?: string }, extra: Record<string, string> = {}) {
  return await app.inject({ method: 'POST', url: '/token', ...form({ grant_type: MFA_OTP_GRANT, mfa_token: mfaToken, ...proof, ...extra } as Record<string, string>) })
}
