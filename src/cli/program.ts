import { readFile } from 'node:fs/promises'
import { InvalidArgumentError, Option } from 'commander'
import { generateKeyPair, generateSecret, rotationSteps, type AsymmetricAlgorithm } from './keys.js'
import { clientCommands } from './client-commands.js'
import { GatehouseCommand } from './command.js'
import { progressLine } from './progress-line.js'
import { readPassword } from './read-password.js'
import { userDetails, userTable } from './user-output.js'
import { canonicalUsername } from '../users/username.js'
import { toUserView } from '../users/user-view.js'
import type { User } from '../store/user.js'
import type { UserService } from '../users/user-service.js'
import { describeReport, importUsers, ON_CONFLICT, parseImport, type OnConflict } from '../users/user-import.js'
import type { Store } from '../store/store.js'
import type { Config } from '../config.js'

/** The store and its dependencies are loaded only by the commands that use them: help and usage errors stay quick. */
async function withUsers<T> (fn: (users: UserService, store: Store, config: Config) => Promise<T>): Promise<T> {
  const { withUsers: run } = await import('./with-users.js')
  return await run(fn)
}

/** An import refused for bad records: the report has been printed; the exit code is 1. */
export class ImportRefusedError extends Error {
  constructor (count: number) {
    super(`${count} bad record(s): nothing was imported`)
    this.name = 'ImportRefusedError'
  }
}

async function readInput (file: string): Promise<string> {
  if (file !== '-') return await readFile(file, 'utf8')
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer))
  return Buffer.concat(chunks).toString('utf8')
}

const list = (value: string | undefined): string[] => (value ?? '').split(',').map(s => s.trim()).filter(Boolean)
const json = (value: unknown): string => JSON.stringify(value, null, 2)
const LIST_PAGE = 200

function algorithm (value: string): AsymmetricAlgorithm {
  if (value === 'RS256' || value === 'ES256' || value === 'EdDSA') return value
  if (value === 'HS256') throw new InvalidArgumentError('HS256 uses a shared secret, not a key file: `gatehouse secret generate`.')
  throw new InvalidArgumentError('Allowed choices are RS256, ES256, EdDSA.')
}

function userCommands (print: (text: string) => void): GatehouseCommand {
  const user = new GatehouseCommand('user').description('add, change, list and remove users')

  user.command('add').description('create a user; the password is read from standard input (a pipe) or asked twice at a terminal')
    .argument('<username>', '3 to 64 letters, digits and . _ - @ +')
    .option('--email <address>', 'email address (checked as the API checks it)')
    .option('--full-name <name>', 'full name')
    .option('--scopes <a,b>', 'comma-separated scopes, such as users:admin')
    .option('--email-verified', 'count the --email address as verified (no verification mail)')
    .option('--disabled', 'create the user disabled')
    .action(async (username: string, options: { email?: string, emailVerified?: boolean, fullName?: string, scopes?: string, disabled?: boolean }) => {
      const password = await readPassword(`Password for ${username}: `)
      const created = await withUsers(async users => await users.register({
        username,
        password,
        email: options.email ?? null,
        fullName: options.fullName ?? null,
        scopes: list(options.scopes),
        disabled: options.disabled ?? false,
        emailVerified: options.emailVerified ?? false
      }))
      print(`created ${created.username}${created.scopes.length > 0 ? ` with scopes ${created.scopes.join(' ')}` : ''}${created.disabled ? ' (disabled)' : ''}`)
    })

  user.command('list').description('list every user, ordered by username')
    .option('--json', 'print JSON (the API\'s user objects) instead of a table')
    .action(async (options: { json?: boolean }) => {
      const all = await withUsers(async users => {
        const found: User[] = []
        let after: string | undefined
        do {
          const page = await users.list({ after, limit: LIST_PAGE })
          found.push(...page.users)
          after = page.nextCursor ?? undefined
        } while (after !== undefined)
        return found
      })
      const views = all.map(toUserView)
      print(options.json === true ? json(views) : userTable(views))
    })

  user.command('show').description('show one user')
    .argument('<username>')
    .option('--json', 'print JSON (the API\'s user object)')
    .action(async (username: string, options: { json?: boolean }) => {
      const view = toUserView(await withUsers(async users => await users.get(username)))
      print(options.json === true ? json(view) : userDetails(view))
    })

  user.command('password').description('set a new password (standard input, or asked twice); revokes every session and lifts a login lockout')
    .argument('<username>')
    .action(async (username: string) => {
      const password = await readPassword(`New password for ${username}: `)
      await withUsers(async users => { await users.setPassword(username, password) })
      print(`password changed for ${canonicalUsername(username)}; every session revoked, any lockout lifted`)
    })

  user.command('unlock').description('lift the user\'s login lockout (every instance, at once)')
    .argument('<username>')
    .action(async (username: string) => {
      await withUsers(async users => { await users.unlock(username) })
      print(`unlocked ${canonicalUsername(username)}`)
    })

  user.command('mfa-reset').description('turn off the user\'s second factor (TOTP and recovery codes) and revoke every session')
    .argument('<username>')
    .action(async (username: string) => {
      const removed = await withUsers(async (users, store) => {
        const found = await users.get(username)
        return await store.mfa.remove(found.id, Date.now())
      })
      print(removed === undefined
        ? `${canonicalUsername(username)} has no second factor; nothing changed`
        : `second factor reset for ${canonicalUsername(username)}; ${removed.revokedSessions} session(s) revoked`)
    })

  for (const action of ['disable', 'enable'] as const) {
    user.command(action).description(action === 'disable' ? 'disable the user: every session ends, logins are refused' : 'enable a disabled user')
      .argument('<username>')
      .action(async (username: string) => {
        await withUsers(async users => await users.update(username, { disabled: action === 'disable' }))
        print(`${action}d ${canonicalUsername(username)}`)
      })
  }

  user.command('delete').description('delete the user and their sessions')
    .argument('<username>')
    .action(async (username: string) => {
      await withUsers(async users => { await users.delete(username) })
      print(`deleted ${canonicalUsername(username)}`)
    })

  user.command('scopes').description('replace the user\'s scopes')
    .argument('<username>')
    .argument('<scopes>', 'comma-separated scopes (\'\' for none)')
    .action(async (username: string, scopes: string) => {
      const { user: changed } = await withUsers(async users => await users.update(username, { scopes: list(scopes) }))
      print(`${changed.username} now has scopes: ${changed.scopes.join(' ') || '(none)'}`)
    })

  user.command('import').description('import users exported from another app (such as the FastAPI tutorial\'s), their password hashes kept as they are; all or nothing')
    .argument('<file>', 'JSON Lines (one user a line) or a JSON array; - for standard input')
    .addOption(new Option('--on-conflict <mode>', 'a username already stored: fail the import, skip the record, or update the user (a changed hash revokes their sessions)')
      .choices(ON_CONFLICT).default('fail'))
    .option('--dry-run', 'check every record and report, write nothing')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nEach record: {"username", "hashed_password", "email"?, "full_name"?, "disabled"?, "scopes"?}.\nHashes: bcrypt ($2a$, $2b$, $2y$, cost 4-31), $argon2id$ or $argon2i$; each is re-hashed to the configured scheme at its first login.\nEvery record is checked first; one bad record (reported with its line) and nothing is written (exit code 1).')
    .action(async (file: string, options: { onConflict: OnConflict, dryRun?: boolean, json?: boolean }) => {
      const { records, errors } = parseImport(await readInput(file))
      const bar = progressLine(process.stderr, 'importing')
      const report = await withUsers(async (_, store, config) => await importUsers(store, records, {
        onConflict: options.onConflict,
        dryRun: options.dryRun === true,
        argon2MaxMemoryKib: config.passwords.argon2MaxMemoryKib,
        onProgress: bar.update
      }, errors)).finally(bar.end)
      print(options.json === true ? json(report) : describeReport(report))
      if (report.errors.length > 0) throw new ImportRefusedError(report.errors.length)
    })

  return user
}

/** The `gatehouse` command line: every command, its options and its help. */
export function buildProgram (print: (text: string) => void): GatehouseCommand {
  const program = new GatehouseCommand('gatehouse')
    .description('gatehouse\'s command line: users, OAuth clients, secrets and keys')
    .addHelpText('after', '\nThe commands read the same environment (and .env in the working directory) as the service.\nIn a clone of the repository, run them as `npx gatehouse …` (or `npm run cli -- …`).')

  program.addCommand(userCommands(print))
  program.addCommand(clientCommands(print))

  const secret = program.command('secret').description('HS256 signing secrets')
  secret.command('generate').description('print a random JWT_SECRET (48 random bytes, base64url)')
    .action(() => { print(generateSecret()) })

  const keys = program.command('keys').description('asymmetric signing keys (RS256, ES256, EdDSA)')
  keys.command('generate').description('write a private key (mode 0600) and print its kid, its public key and the rotation steps')
    .addOption(new Option('--alg <alg>', 'RS256, ES256 or EdDSA').default('ES256').argParser(algorithm))
    .requiredOption('--out <file>', 'where to write the private key (never over an existing file)')
    .action((options: { alg: AsymmetricAlgorithm, out: string }) => {
      print(rotationSteps(options.alg, options.out, generateKeyPair(options.alg, options.out)))
    })

  program.command('help').description('show the help of a command: gatehouse help user add')
    .argument('[command...]', 'the command')
    .action((names: string[]) => {
      let target: GatehouseCommand = program
      for (const name of names) {
        const next = target.commands.find(c => c.name() === name) as GatehouseCommand | undefined
        if (next === undefined) target.error(`error: unknown command '${name}'`, { code: 'commander.unknownCommand' })
        target = next
      }
      target.outputHelp()
    })

  return program
}
