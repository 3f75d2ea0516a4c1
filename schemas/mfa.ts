import { Type, type Static } from '@sinclair/typebox'
import { StringEnum } from './string-enum.js'

const Code = Type.String({ minLength: 1, maxLength: 16, description: 'The current 6-digit code of the authenticator app', examples: ['123456'] })
const RecoveryCode = Type.String({ minLength: 1, maxLength: 64, description: 'One of the recovery codes (each works once)', examples: ['7h2k-9wq4-m3xp-0c5d'] })

export const TotpEnrolmentSchema = Type.Object({
  secret: Type.String({ description: 'The shared secret in base32 (160 bits), for apps where it is typed in' }),
  otpauth_uri: Type.String({ description: 'otpauth://totp/<issuer>:<username>?secret=…&issuer=…: what authenticator apps scan' }),
  qr_svg: Type.String({ description: 'The otpauth URI as a QR code, an SVG document to show the user' })
}, { additionalProperties: false, description: 'A new TOTP secret, not active until confirmed' })
export type TotpEnrolment = Static<typeof TotpEnrolmentSchema>

export const TotpConfirmSchema = Type.Object({ code: Code }, { additionalProperties: false })

export const RecoveryCodesSchema = Type.Object({
  recovery_codes: Type.Array(Type.String(), { minItems: 10, maxItems: 10, description: 'Ten single-use codes, shown only now: keep them somewhere safe' })
}, { additionalProperties: false, description: 'The recovery codes' })

export const SecondFactorProofSchema = Type.Object({
  code: Type.Optional(Code),
  recovery_code: Type.Optional(RecoveryCode)
}, { additionalProperties: false, minProperties: 1, maxProperties: 1, description: 'A current one-time code or a recovery code (exactly one)' })

export const MfaStatusSchema = Type.Object({
  totp: StringEnum(['off', 'pending', 'on'] as const, { description: '`pending`: enrolled but not yet confirmed with a code' }),
  recovery_codes_left: Type.Union([Type.Integer(), Type.Null()], { description: 'Unused recovery codes; null unless on' })
}, { additionalProperties: false, description: 'The user\'s second factor' })
