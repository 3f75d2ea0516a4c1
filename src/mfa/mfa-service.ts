import type { TotpEnrolment } from '../../schemas/mfa.js'
import type { Audit } from '../audit/audit-event.js'
import type { LoginThrottle } from '../auth/login-throttle.js'
import { accessDenied, conflict, invalidGrant, invalidRequest, notFound, temporarilyUnavailable, tooManyRequests } from '../errors.js'
import type { MfaChallenge, TotpFactor } from '../store/mfa-repository.js'
import type { Store } from '../store/store.js'
import type { User } from '../store/user.js'
import { accountTokenHashOf, newAccountToken } from '../tokens/account-tokens.js'
import { qrSvg } from './qr-svg.js'
import { newRecoveryCodes, recoveryCodeHash } from './recovery-codes.js'
import type { SecretBox } from './secret-box.js'
import { matchingStep, newTotpSecret, otpauthUri } from './totp.js'

/** How long the mfa_token of a password grant lives. */
export const MFA_TOKEN_TTL_SECONDS = 300
/** Codes tried with one mfa_token before it is dead. */
export const MFA_TOKEN_MAX_ATTEMPTS = 5

/** A one-time code or a recovery code: exactly one of them. */
export interface SecondFactorProof {
  code?: string
  recoveryCode?: string
}

export type Enrolment = TotpEnrolment

export type MfaStatus = { totp: 'off' | 'pending' } | { totp: 'on', recoveryCodesLeft: number }

export interface MfaService {
  /** Whether the user's password logins need the second factor. */
  isEnabled: (userId: number) => Promise<boolean>
  status: (userId: number) => Promise<MfaStatus>
  /** A new secret, not active until confirmed; replaces an earlier unconfirmed one. */
  startEnrolment: (user: User, audit: Audit) => Promise<Enrolment>
  /** Activates TOTP with a first right code; the recovery codes, shown once. Revokes the user's other sessions. */
  confirmEnrolment: (user: User, sessionId: string, code: string, audit: Audit) => Promise<string[]>
  /** Turns the second factor off with a current code or a recovery code. Revokes the user's other sessions. */
  disable: (user: User, sessionId: string, proof: SecondFactorProof, ip: string, audit: Audit) => Promise<void>
  /** New recovery codes (the old ones end). Revokes the user's other sessions. */
  regenerateRecoveryCodes: (user: User, sessionId: string, audit: Audit) => Promise<string[]>
  /** An admin's reset: removes the second factor and revokes every session of the user; false when there was none. */
  reset: (user: User, audit: Audit) => Promise<boolean>
  /** After a right password: stores a challenge and returns its mfa_token. */
  challenge: (user: User, scopes: string[], clientId: string | null, authTime: number) => Promise<string>
  /**
   * The mfa-otp grant's check: the challenge behind `mfaToken` with a right
   * code completes the login (the challenge is then used). A wrong code counts
   * toward the user's lockout and the token's attempts.
   */
  completeChallenge: (mfaToken: string, proof: SecondFactorProof, clientId: string | null, ip: string, audit: Audit) => Promise<MfaChallenge>
}

interface Dependencies {
  store: Store
  /** Undefined in production without MFA_ENCRYPTION_KEY: no one can enrol. */
  box: SecretBox | undefined
  throttle: LoginThrottle
  issuer: string
  now?: () => number
}

type Outcome = 'right' | 'wrong' | 'replayed'

const invalidMfaToken = () => invalidGrant('The mfa_token is invalid, expired, used or out of attempts: log in again with the password')

function exactlyOne (proof: SecondFactorProof): void {
  const given = [proof.code, proof.recoveryCode].filter(p => p !== undefined && p !== '').length
  if (given !== 1) throw invalidRequest('Send either a one-time code or a recovery code')
}

export function createMfaService (deps: Dependencies): MfaService {
  const { store, box, throttle, issuer } = deps
  const now = deps.now ?? Date.now

  function requireBox (): SecretBox {
    if (box === undefined) throw temporarilyUnavailable('Two-factor login is not set up on this server (MFA_ENCRYPTION_KEY)', 3600)
    return box
  }

  /** The base32 secret; re-sealed under the current key when an older key of the list opened it. */
  async function secretOf (factor: TotpFactor): Promise<string> {
    const opened = box?.open(factor.secret, factor.userId)
    if (opened === undefined || box === undefined) {
      throw new Error(`the TOTP secret of user ${factor.userId} cannot be decrypted: is its key missing from MFA_ENCRYPTION_KEY?`)
    }
    if (!box.isCurrent(factor.secret)) await store.mfa.reseal(factor.userId, factor.secret, box.seal(opened, factor.userId))
    return opened
  }

  /** Checks a proof against a confirmed factor; a right TOTP code is used up (its step recorded), as is a recovery code. */
  async function check (factor: TotpFactor, proof: SecondFactorProof): Promise<Outcome> {
    if (proof.recoveryCode !== undefined && proof.recoveryCode !== '') {
      const hash = recoveryCodeHash(proof.recoveryCode)
      return hash !== undefined && await store.mfa.useRecoveryCode(factor.userId, hash, now()) ? 'right' : 'wrong'
    }
    const step = matchingStep(await secretOf(factor), proof.code ?? '', now())
    if (step === undefined) return 'wrong'
    return await store.mfa.useStep(factor.userId, step) ? 'right' : 'replayed'
  }

  /** A check counted like a password check: refused while locked out, a wrong code stays counted. */
  async function throttledCheck (user: User, factor: TotpFactor, proof: SecondFactorProof, ip: string, audit: Audit): Promise<Outcome> {
    const attempt = await throttle.begin(user.username, ip, user.lockoutGeneration)
    if (attempt.refused !== undefined) {
      if (attempt.refused.reason === 'capacity') throw temporarilyUnavailable('Login is temporarily unavailable; try again shortly', attempt.refused.retryAfterSeconds)
      audit({ event: 'login.failed', username: user.username, reason: 'locked_out' })
      throw tooManyRequests(attempt.refused.retryAfterSeconds)
    }
    let outcome: Outcome
    try {
      outcome = await check(factor, proof)
    } catch (err) {
      await attempt.abandoned().catch(() => {})
      throw err
    }
    if (outcome === 'right') {
      await attempt.succeeded()
      return outcome
    }
    const lockouts = await attempt.failed()
    audit({ event: 'login.failed', username: user.username, reason: outcome === 'replayed' ? 'otp_replayed' : 'bad_otp' })
    for (const scope of lockouts) audit({ event: 'login.locked_out', username: user.username, scope })
    return outcome
  }

  async function confirmedFactor (user: User): Promise<TotpFactor> {
    const factor = await store.mfa.findTotp(user.id)
    if (factor?.confirmedAt === null || factor === undefined) throw notFound('Two-factor login is not on for this user')
    return factor
  }

  const codesOf = (codes: Array<{ code: string }>) => codes.map(c => c.code)

  return {
    isEnabled: async (userId) => await store.mfa.isEnabled(userId),

    async status (userId) {
      const factor = await store.mfa.findTotp(userId)
      if (factor === undefined) return { totp: 'off' }
      if (factor.confirmedAt === null) return { totp: 'pending' }
      return { totp: 'on', recoveryCodesLeft: await store.mfa.remainingRecoveryCodes(userId) }
    },

    async startEnrolment (user, audit) {
      const sealer = requireBox()
      const alreadyOn = () => conflict('Two-factor login is already on: turn it off first (DELETE /users/me/mfa/totp)')
      if (await store.mfa.isEnabled(user.id)) throw alreadyOn()
      const secret = newTotpSecret()
      if (!await store.mfa.startEnrolment(user.id, sealer.seal(secret, user.id), now())) throw alreadyOn()
      audit({ event: 'mfa.enrolment_started', username: user.username })
      const uri = otpauthUri(secret, issuer, user.username)
      return { secret, otpauth_uri: uri, qr_svg: qrSvg(uri) }
    },

    async confirmEnrolment (user, sessionId, code, audit) {
      const factor = await store.mfa.findTotp(user.id)
      if (factor === undefined) throw invalidRequest('No enrolment to confirm: start with POST /users/me/mfa/totp')
      if (factor.confirmedAt !== null) throw conflict('Two-factor login is already on')
      const step = matchingStep(await secretOf(factor), code, now())
      if (step === undefined) throw invalidRequest('Incorrect code: enter the current 6-digit code of your authenticator app')
      const codes = newRecoveryCodes()
      const change = await store.mfa.confirmEnrolment(user.id, step, codes.map(c => c.hash), now(), sessionId)
      if (change === undefined) throw invalidRequest('No enrolment to confirm: start with POST /users/me/mfa/totp')
      audit({ event: 'mfa.enabled', username: user.username, revoked_sessions: change.revokedSessions })
      return codesOf(codes)
    },

    async disable (user, sessionId, proof, ip, audit) {
      exactlyOne(proof)
      const factor = await confirmedFactor(user)
      const outcome = await throttledCheck(user, factor, proof, ip, audit)
      if (outcome === 'replayed') throw accessDenied('This code was already used: wait for the next one')
      if (outcome === 'wrong') throw accessDenied('Incorrect one-time code or recovery code')
      const change = await store.mfa.remove(user.id, now(), sessionId)
      audit({ event: 'mfa.disabled', username: user.username, revoked_sessions: change?.revokedSessions ?? 0 })
    },

    async regenerateRecoveryCodes (user, sessionId, audit) {
      await confirmedFactor(user)
      const codes = newRecoveryCodes()
      const change = await store.mfa.replaceRecoveryCodes(user.id, codes.map(c => c.hash), now(), sessionId)
      if (change === undefined) throw notFound('Two-factor login is not on for this user')
      audit({ event: 'mfa.recovery_codes_regenerated', username: user.username, revoked_sessions: change.revokedSessions })
      return codesOf(codes)
    },

    async reset (user, audit) {
      const change = await store.mfa.remove(user.id, now())
      if (change === undefined) return false
      audit({ event: 'mfa.reset', username: user.username, revoked_sessions: change.revokedSessions })
      return true
    },

    async challenge (user, scopes, clientId, authTime) {
      const { token, hash } = newAccountToken()
      const at = now()
      await store.mfa.createChallenge({ hash, userId: user.id, clientId, scopes, authTime, expiresAt: at + MFA_TOKEN_TTL_SECONDS * 1000 }, at)
      return token
    },

    async completeChallenge (mfaToken, proof, clientId, ip, audit) {
      exactlyOne(proof)
      const hash = accountTokenHashOf(mfaToken)
      if (hash === undefined) throw invalidMfaToken()
      const challenge = await store.mfa.claimChallengeAttempt(hash, MFA_TOKEN_MAX_ATTEMPTS, now())
      if (challenge === undefined) throw invalidMfaToken()
      const { user } = challenge
      if (challenge.clientId !== clientId) throw invalidGrant('The mfa_token was not issued to this client')
      if (user.disabled) throw invalidGrant('Inactive user')
      const factor = await store.mfa.findTotp(user.id)
      // Reset by an admin since the password check: its challenges were deleted with it, so this is a race.
      if (factor === undefined || factor.confirmedAt === null) throw invalidMfaToken()
      const outcome = await throttledCheck(user, factor, proof, ip, audit)
      if (outcome !== 'right') {
        const left = MFA_TOKEN_MAX_ATTEMPTS - challenge.attempts
        const why = outcome === 'replayed' ? 'This code was already used: wait for the next one' : 'Incorrect one-time code'
        throw invalidGrant(left > 0 ? `${why} (${left} attempts left with this mfa_token)` : `${why}; this mfa_token has no attempts left: log in again`)
      }
      if (!await store.mfa.finishChallenge(hash, now())) throw invalidMfaToken()
      audit({ event: 'login.second_factor', username: user.username, method: proof.recoveryCode !== undefined && proof.recoveryCode !== '' ? 'recovery_code' : 'totp' })
      return challenge
    }
  }
}
