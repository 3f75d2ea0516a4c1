import type { User } from '../store/user.js'

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
