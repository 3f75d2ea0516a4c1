import type { UserView } from '../../schemas/users.js'
import type { User } from '../store/user.js'

/**
 * Views of frozen users (the store's cached session + user rows are frozen and
 * shared between requests): such a user cannot change, so its view is built
 * once. Formatting the two dates was the largest single item of our own code
 * on the GET /users/me path.
 */
const views = new WeakMap<User, Readonly<UserView>>()

function buildView (user: User): UserView {
  return {
    username: user.username,
    email: user.email,
    full_name: user.fullName,
    email_verified: user.email !== null && user.emailVerified,
    disabled: user.disabled,
    scopes: user.scopes,
    created_at: new Date(user.createdAt).toISOString(),
    updated_at: new Date(user.updatedAt).toISOString()
  }
}

/** The public view of a user (schemas/users.ts): never the password hash. */
export function toUserView (user: User): Readonly<UserView> {
  if (!Object.isFrozen(user)) return buildView(user)
  let view = views.get(user)
  if (view === undefined) {
    view = Object.freeze(buildView(user))
    views.set(user, view)
  }
  return view
}
