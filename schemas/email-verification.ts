import { Type } from '@sinclair/typebox'
import { MailAcceptedSchema, MailedToken } from './mailed-token.js'

/** POST /email-verification/confirm: the token from the verification mail. */
export const EmailVerificationConfirmSchema = Type.Object({
  token: MailedToken('The token from the verification mail (the link\'s `{token}`, or the code)')
}, { additionalProperties: false })

export const MailQueuedSchema = MailAcceptedSchema('Accepted: the mail is queued')
