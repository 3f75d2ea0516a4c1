export interface User {
  id: number
  username: string
  email: string | null
  fullName: string | null
  passwordHash: string
  disabled: boolean
  scopes: string[]
  createdAt: number
  updatedAt: number
  /** Bumped to lift a lockout (src/auth/login-throttle.ts). */
  lockoutGeneration: number
}

export interface NewUser {
  username: string
  email: string | null
  fullName: string | null
  passwordHash: string
  disabled: boolean
  scopes: string[]
}

export interface UserPatch {
  /** An admin's reset: revokes every session and lifts a login lockout. */
  password?: string
  email?: string | null
  fullName?: string | null
  disabled?: boolean
  scopes?: string[]
}

/** The public view of a user: never the password hash. */
export interface UserView {
  username: string
  email: string | null
  full_name: string | null
  disabled: boolean
  scopes: string[]
  created_at: string
  updated_at: string
}

export function toUserView (user: User): UserView {
  return {
    username: user.username,
    email: user.email,
    full_name: user.fullName,
    disabled: user.disabled,
    scopes: user.scopes,
    created_at: new Date(user.createdAt).toISOString(),
    updated_at: new Date(user.updatedAt).toISOString()
  }
}
