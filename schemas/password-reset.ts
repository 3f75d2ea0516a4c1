import { Type } from '@sinclair/typebox'
import { MailAcceptedSchema, MailedToken } from './mailed-token.js'
import { EmailSchema } from './users.js'

const EMAIL = { maxLength: EmailSchema.maxLength, format: EmailSchema.format }

/**
 * Exactly one of `email` and `username` (minProperties/maxProperties rather
 * than oneOf: plain for the OpenAPI document and its code generators).
 */
export const PasswordResetRequestSchema = Type.Object({
  email: Type.Optional(Type.String({ ...EMAIL, description: 'The account\'s email address (compared case-insensitively); every account with it gets a mail' })),
  username: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'The account\'s username' }))
}, {
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
  description: 'Exactly one of email and username'
})

export const PasswordResetAcceptedSchema = MailAcceptedSchema('Accepted: if an enabled account with an email matches, a mail is on its way. The same answer, at once, whether or not one does.')

export const PasswordResetConfirmSchema = Type.Object({
  token: MailedToken('The token from the mail (the link\'s `{token}`, or the code)'),
  new_password: Type.String({ minLength: 1, maxLength: 1024, format: 'password', description: 'The new password; the password policy applies' })
}, { additionalProperties: false })
