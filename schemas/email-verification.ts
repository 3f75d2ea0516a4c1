import { Type } from '@sinclair/typebox'

/** POST /email-verification/confirm: the token from the verification mail. */
export const EmailVerificationConfirmSchema = Type.Object({
  token: Type.String({ minLength: 1, maxLength: 256, format: 'password', description: 'The token from the verification mail (the link\'s `{token}`, or the code)' })
}, { additionalProperties: false })

/** 202: the mail is in the outbox (sent moments later, retried if the mail server is down). */
export const MailQueuedSchema = Type.Object({}, { additionalProperties: false, description: 'Accepted: the mail is queued' })
