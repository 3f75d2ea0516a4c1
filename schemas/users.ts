import { Type, type Static } from '@sinclair/typebox'

const Username = Type.String({ minLength: 3, maxLength: 64, description: '3 to 64 letters, digits and . _ - @ + (compared case-insensitively)' })
/** The one definition of a valid email address: the API validates it here, and src/users/email.ts (the CLI) with the same schema. */
export const EmailSchema = Type.String({ maxLength: 320, format: 'email' })
const Email = EmailSchema
const FullName = Type.String({ maxLength: 200 })
const Password = Type.String({ minLength: 1, maxLength: 1024, format: 'password' })
/** An RFC 6749 §3.3 scope-token (src/users/scopes.ts checks the same). */
export const ScopeSchema = Type.String({ minLength: 1, maxLength: 64, pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$' })

export const UserSchema = Type.Object({
  username: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
  full_name: Type.Union([Type.String(), Type.Null()]),
  email_verified: Type.Boolean({ description: 'The address was confirmed through a mailed link (POST /email-verification/confirm) or set verified by an admin; false without an address' }),
  disabled: Type.Boolean(),
  scopes: Type.Array(Type.String()),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' })
}, { $id: 'User', additionalProperties: false, description: 'A user' })
export type UserView = Static<typeof UserSchema>

export const UserRef = (description: string) => Type.Unsafe<UserView>({ $ref: 'User#', description })

export const RegistrationSchema = Type.Object({
  username: Username,
  password: Password,
  email: Type.Optional(Email),
  full_name: Type.Optional(FullName),
  email_verified: Type.Optional(Type.Boolean({ description: 'Admins only (open sign-up: 400): create the address as verified, no mail sent' }))
}, { additionalProperties: false })

export const UserPatchSchema = Type.Object({
  password: Type.Optional({ ...Password, description: 'An admin reset: revokes every session and lifts a login lockout' }),
  disabled: Type.Optional(Type.Boolean()),
  scopes: Type.Optional(Type.Array(ScopeSchema, { maxItems: 50, uniqueItems: true })),
  email: Type.Optional(Type.Union([Email, Type.Null()])),
  full_name: Type.Optional(Type.Union([FullName, Type.Null()])),
  email_verified: Type.Optional(Type.Boolean({ description: 'Left out, a changed email is unverified' })),
  mfa: Type.Optional(Type.Null({ description: '`null` resets the user\'s second factor (TOTP and recovery codes) and revokes every session' }))
}, { additionalProperties: false, minProperties: 1 })

/** PATCH /users/me: what users change of themselves. */
export const MePatchSchema = Type.Object({
  email: Type.Optional(Type.Union([Email, Type.Null()], { description: 'A new address is unverified: a verification mail goes to it and a notice to the old one. null removes the address.' })),
  full_name: Type.Optional(Type.Union([FullName, Type.Null()]))
}, { additionalProperties: false, minProperties: 1 })

export const PasswordChangeSchema = Type.Object({
  current_password: Password,
  new_password: Password
}, { additionalProperties: false })

export const UsernameParamsSchema = Type.Object({ username: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false })

export const UserListQuerySchema = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  after: Type.Optional(Type.String({ maxLength: 256, description: 'The `next_cursor` of the previous page' }))
}, { additionalProperties: false })

export const UserListSchema = Type.Object({
  users: Type.Array(UserRef('A user')),
  next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `after` for the next page; null on the last page' })
}, { additionalProperties: false, description: 'A page of users, ordered by username' })
