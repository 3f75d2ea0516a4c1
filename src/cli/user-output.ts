import { textTable } from './table.js'
import type { UserView } from '../../schemas/users.js'

const COLUMNS = ['username', 'email', 'scopes', 'disabled', 'created'] as const

function cells (user: UserView): string[] {
  return [user.username, user.email ?? '-', user.scopes.join(' ') || '-', user.disabled ? 'yes' : 'no', user.created_at]
}

/** `user list`: a table with a header line, columns padded to their widest cell. */
export function userTable (users: readonly UserView[]): string {
  if (users.length === 0) return 'no users yet'
  return textTable([COLUMNS, ...users.map(cells)])
}

/** `user show`: one field a line. */
export function userDetails (user: UserView): string {
  const fields: Array<[string, string]> = [
    ['username', user.username],
    ['email', user.email ?? '-'],
    ['email verified', user.email_verified ? 'yes' : 'no'],
    ['full name', user.full_name ?? '-'],
    ['scopes', user.scopes.join(' ') || '-'],
    ['disabled', user.disabled ? 'yes' : 'no'],
    ['created', user.created_at],
    ['updated', user.updated_at]
  ]
  const width = Math.max(...fields.map(([name]) => name.length))
  return fields.map(([name, value]) => `${`${name}:`.padEnd(width + 1)} ${value}`).join('\n')
}
