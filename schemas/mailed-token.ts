import { Type } from '@sinclair/typebox'

/** A token from a mail (password reset, email verification): the link's `{token}`, or the code. Secret: never shown in logs or examples. */
export const MailedToken = (description: string) => Type.String({ minLength: 1, maxLength: 256, format: 'password', description })

/** 202 `{}`: what was asked is done in the background; the mail, if any, goes through the outbox (retried while SMTP is down). */
export const MailAcceptedSchema = (description: string) => Type.Object({}, { additionalProperties: false, description })
