import { LoginThrottle } from '../auth/login-throttle.js'
import { createMemoryCounters } from '../auth/memory-counters.js'
import type { Config } from '../config.js'
import { createPasswordHasher } from '../passwords/password-hasher.js'
import type { Store } from '../store/store.js'
import { createUserService, type UserService } from '../users/user-service.js'
import { withStore } from './with-store.js'

/** Opens the store the service's configuration names, runs `fn` with the user service, closes the store. */
export async function withUsers<T> (fn: (users: UserService, store: Store, config: Config) => Promise<T>): Promise<T> {
  return await withStore(async (store, config) => {
    const hasher = await createPasswordHasher({ scheme: config.passwords.scheme, cost: config.passwords.bcryptCost, argon2: config.passwords.argon2, concurrency: 1, queueMax: 1, queueTimeoutMs: 60_000 })
    // No command here checks a password; the service's own counters are reached through the store (unlock).
    const throttle = new LoginThrottle(createMemoryCounters(), config.loginLimits)
    return await fn(createUserService({ store, hasher, throttle }), store, config)
  })
}
