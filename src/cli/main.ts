import { parseArgs } from 'node:util'
import { LoginThrottle } from '../auth/login-throttle.js'
import { createMemoryCounters } from '../auth/memory-counters.js'
import { ConfigError, loadConfig, readEnvironment } from '../config.js'
import { ServiceError } from '../errors.js'
import { createPasswordHasher } from '../passwords/password-hasher.js'
import { openStore, type Store } from '../store/store.js'
import { canonicalUsername } from '../users/username.js'
import { createUserService, type UserService } from '../users/user-service.js'
import { generateKeyPair, generateSecret, KeyFileExistsError, rotationSteps } from './keys.js'
import { readPassword } from './read-password.js'

const USAGE = `usage: npm run cli -- <command>

  user add <username> [--email E] [--full-name F] [--scopes a,b] [--disabled]
                                    password read from standard input (or a prompt)
  user password <username>          set a new password (standard input); revokes every session
                                    and lifts a login lockout
  user unlock <username>            lift the user's login lockout (every instance, at once)
  user disable|enable|delete <username>
  user scopes <username> a,b        replace the user's scopes ('' for none)
  secret generate                   print a random JWT_SECRET
  keys generate --alg RS256|ES256|EdDSA --out FILE
                                    write a private key (mode 0600), print the rotation steps

The CLI reads the same environment (and .env) as the service.`

async function withUsers<T> (fn: (users: UserService, store: Store) => Promise<T>): Promise<T> {
  const config = loadConfig(readEnvironment())
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 })
  try {
    const hasher = await createPasswordHasher({ scheme: config.passwords.scheme, cost: config.passwords.bcryptCost, argon2: config.passwords.argon2, concurrency: 1, queueMax: 1, queueTimeoutMs: 60_000 })
    // No command here checks a password; the service's own counters are reached through the store (unlock).
    const throttle = new LoginThrottle(createMemoryCounters(), config.loginLimits)
    return await fn(createUserService({ store, hasher, throttle }), store)
  } finally {
    await store.close()
  }
}

const list = (value: string | undefined): string[] => (value ?? '').split(',').map(s => s.trim()).filter(Boolean)

async function userCommand (args: string[]): Promise<string> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      email: { type: 'string' },
      'full-name': { type: 'string' },
      scopes: { type: 'string' },
      disabled: { type: 'boolean' }
    }
  })
  const [action, username, extra] = positionals
  if (action === undefined || username === undefined) throw new UsageError()
  switch (action) {
    case 'add': {
      const password = await readPassword(`Password for ${username}: `)
      const user = await withUsers(async users => await users.register({
        username,
        password,
        email: values.email ?? null,
        fullName: values['full-name'] ?? null,
        scopes: list(values.scopes),
        disabled: values.disabled ?? false
      }))
      return `created ${user.username}${user.scopes.length > 0 ? ` with scopes ${user.scopes.join(' ')}` : ''}${user.disabled ? ' (disabled)' : ''}`
    }
    case 'password': {
      const password = await readPassword(`New password for ${username}: `)
      await withUsers(async users => { await users.setPassword(username, password) })
      return `password changed for ${canonicalUsername(username)}; every session revoked, any lockout lifted`
    }
    case 'unlock': {
      await withUsers(async users => { await users.unlock(username) })
      return `unlocked ${canonicalUsername(username)}`
    }
    case 'disable':
    case 'enable': {
      await withUsers(async users => await users.update(username, { disabled: action === 'disable' }))
      return `${action}d ${canonicalUsername(username)}`
    }
    case 'delete': {
      await withUsers(async users => { await users.delete(username) })
      return `deleted ${canonicalUsername(username)}`
    }
    case 'scopes': {
      if (extra === undefined) throw new UsageError()
      const { user } = await withUsers(async users => await users.update(username, { scopes: list(extra) }))
      return `${user.username} now has scopes: ${user.scopes.join(' ') || '(none)'}`
    }
    default:
      throw new UsageError()
  }
}

function keysCommand (args: string[]): string {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { alg: { type: 'string' }, out: { type: 'string' } } })
  if (positionals[0] !== 'generate' || values.out === undefined) throw new UsageError()
  const alg = values.alg ?? 'ES256'
  if (alg !== 'RS256' && alg !== 'ES256' && alg !== 'EdDSA') throw new UsageError('--alg must be RS256, ES256 or EdDSA; HS256 uses a shared secret: `npm run cli -- secret generate`')
  return rotationSteps(alg, values.out, generateKeyPair(alg, values.out))
}

class UsageError extends Error {
  constructor (message = USAGE) { super(message) }
}

async function main (argv: string[]): Promise<string> {
  const [command, ...rest] = argv
  if (command === 'user') return await userCommand(rest)
  if (command === 'secret' && rest[0] === 'generate') return generateSecret()
  if (command === 'keys') return keysCommand(rest)
  throw new UsageError()
}

main(process.argv.slice(2)).then(
  (output) => { process.stdout.write(output + '\n') },
  (err: unknown) => {
    if (err instanceof UsageError) process.stderr.write(err.message + '\n')
    else if (err instanceof ConfigError || err instanceof KeyFileExistsError) process.stderr.write(err.message + '\n')
    else if (err instanceof ServiceError) process.stderr.write(`error: ${err.message}\n`)
    else process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exitCode = err instanceof UsageError ? 64 : 1
  }
)
