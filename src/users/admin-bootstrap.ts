import { readFileSync } from 'node:fs'
import { ConfigError, type AdminBootstrapSettings } from '../config.js'
import type { PasswordHasher } from '../passwords/password-hasher.js'
import { passwordPolicyViolation } from '../passwords/password-policy.js'
import type { Store } from '../store/store.js'
import type { User } from '../store/user.js'
import { ADMIN_SCOPE, CLIENTS_ADMIN_SCOPE } from './scopes.js'

/**
 * The first administrator, created at start from GATEHOUSE_ADMIN_USERNAME and
 * GATEHOUSE_ADMIN_PASSWORD_FILE (or GATEHOUSE_ADMIN_PASSWORD) when the store
 * has no user yet, so a deployment needs no shell (Keycloak's
 * KC_BOOTSTRAP_ADMIN_* is the model). Safe with several instances starting
 * together: exactly one creates it, the others do nothing.
 */
/** Sorted, as scopes are stored. */
export const ADMIN_SCOPES = [CLIENTS_ADMIN_SCOPE, ADMIN_SCOPE]

export interface AdminBootstrap {
  username: string
  password: string
  /** The variable the password came from, for messages. */
  variable: 'GATEHOUSE_ADMIN_PASSWORD_FILE' | 'GATEHOUSE_ADMIN_PASSWORD'
}

export type BootstrapResult =
  | { outcome: 'created', user: User }
  | { outcome: 'skipped', reason: 'admin_exists' | 'users_exist' }

/** Reads the password (a file's one trailing newline is not part of it) and checks it against the policy. */
export function readAdminBootstrap (settings: AdminBootstrapSettings): AdminBootstrap {
  const { username, passwordFile } = settings
  const variable = passwordFile === undefined ? 'GATEHOUSE_ADMIN_PASSWORD' : 'GATEHOUSE_ADMIN_PASSWORD_FILE'
  let password = settings.password ?? ''
  if (passwordFile !== undefined) {
    try {
      password = readFileSync(passwordFile, 'utf8').replace(/\r?\n$/, '')
    } catch (err) {
      throw new ConfigError([`GATEHOUSE_ADMIN_PASSWORD_FILE: cannot read ${passwordFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`])
    }
  }
  const violation = passwordPolicyViolation(password, username)
  if (violation !== undefined) throw new ConfigError([`${variable}: the admin password is refused: ${violation}`])
  return { username, password, variable }
}

/**
 * Creates the admin with scopes users:admin and clients:admin unless it or
 * any other user exists. The password is hashed before the guarded insert,
 * so no lock is held while bcrypt runs.
 */
export async function bootstrapAdmin (deps: { store: Store, hasher: PasswordHasher }, admin: AdminBootstrap): Promise<BootstrapResult> {
  const { users } = deps.store
  if (await users.findByUsername(admin.username) !== undefined) return { outcome: 'skipped', reason: 'admin_exists' }
  if ((await users.list({ limit: 1 })).length > 0) return { outcome: 'skipped', reason: 'users_exist' }
  const passwordHash = await deps.hasher.hash(admin.password, 'local')
  const user = await users.createFirst({
    username: admin.username, email: null, fullName: null, passwordHash, disabled: false, scopes: ADMIN_SCOPES
  })
  if (user !== undefined) return { outcome: 'created', user }
  // Another instance got there first, with this admin or another first user.
  return { outcome: 'skipped', reason: await users.findByUsername(admin.username) !== undefined ? 'admin_exists' : 'users_exist' }
}
