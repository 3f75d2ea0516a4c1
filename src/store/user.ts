/**
 * A user as the store keeps it. The type lives beside the repositories that
 * read and write it, so that src/users (the service and the rules on names and
 * scopes) depends on src/store and never the other way round.
 */
export interface NewUser {
  username: string
  email: string | null
  fullName: string | null
  passwordHash: string
  disabled: boolean
  scopes: string[]
  /** The address was confirmed through a mailed token, or set verified by an admin (false when left out). */
  emailVerified?: boolean
}

export interface User extends NewUser {
  id: number
  createdAt: number
  updatedAt: number
  /** Bumped to lift a lockout (src/auth/login-throttle.ts). */
  lockoutGeneration: number
  emailVerified: boolean
}

/** The columns an update may change (the password hash has its own method). */
export interface UserChanges {
  email?: string | null
  fullName?: string | null
  disabled?: boolean
  scopes?: string[]
  emailVerified?: boolean
}
