import type { UserView } from '../../schemas/users.js'
import type { User } from '../store/user.js'

/** The public view of a user (schemas/users.ts): never the password hash. */
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
