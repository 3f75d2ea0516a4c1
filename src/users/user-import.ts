import { hashFormat } from '../passwords/hash-format.js'
import type { Store } from '../store/store.js'
import type { NewUser, User } from '../store/user.js'
import { ImportRaceError } from '../store/users-repository.js'
import { conflict } from '../errors.js'
import { EMAIL_RULE, isValidEmail } from './email.js'
import { isValidScope, normalizeScopes } from './scopes.js'
import { canonicalUsername, isValidUsername, USERNAME_RULE } from './username.js'
import type { ImportReportBody } from '../../schemas/import.js'

/**
 * Importing users exported from another application (the FastAPI tutorial's
 * user dict: username, email, full_name, disabled, hashed_password, scopes),
 * hashes kept as they are: bcrypt ($2a$/$2b$/$2y$) and Argon2 (argon2id,
 * argon2i) are verified at login and re-hashed to the configured scheme then.
 */

export type OnConflict = 'skip' | 'fail' | 'update'
export const ON_CONFLICT: readonly OnConflict[] = ['fail', 'skip', 'update']

/** One record of the file: its line (JSON Lines) or its position from 1 (a JSON array). */
export interface ImportRecord { line: number, value: unknown }

export interface ImportError { line: number, username?: string, error: string }

/** What the import did (or, with dry run, would do); the API answers it as it is. */
export type ImportReport = ImportReportBody

export interface ImportOptions {
  onConflict: OnConflict
  dryRun: boolean
  /** Told the total once the records are checked, then the rows written so far. */
  onProgress?: (done: number, total: number) => void
  /** An argon2 hash asking for more memory is refused: verifying it would break the memory rule (src/config.ts). */
  argon2MaxMemoryKib?: number
  /** Told each hash written, so that refusals do the work of every scheme stored (password-hasher.ts). */
  onHashStored?: (passwordHash: string) => void
}

const FULL_NAME_MAX = 200

/** JSON Lines (one record a line, blank lines ignored) or one JSON array; which one is read from the first character. */
export function parseImport (text: string): { records: ImportRecord[], errors: ImportError[] } {
  const body = text.replace(/^\uFEFF/, '')
  if (body.trimStart().startsWith('[')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(body)
    } catch (err) {
      return { records: [], errors: [{ line: 1, error: `not valid JSON: ${(err as Error).message}` }] }
    }
    if (!Array.isArray(parsed)) return { records: [], errors: [{ line: 1, error: 'expected a JSON array of users' }] }
    return { records: parsed.map((value: unknown, i) => ({ line: i + 1, value })), errors: [] }
  }
  const records: ImportRecord[] = []
  const errors: ImportError[] = []
  body.split('\n').forEach((raw, i) => {
    const line = raw.trim()
    if (line === '') return
    try {
      records.push({ line: i + 1, value: JSON.parse(line) })
    } catch {
      errors.push({ line: i + 1, error: 'not valid JSON' })
    }
  })
  return { records, errors }
}

type Checked = { ok: true, user: NewUser } | { ok: false, username?: string, error: string }

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)
const optionalText = (value: unknown): value is string | null | undefined => value === undefined || value === null || typeof value === 'string'

/** One record against the rules a user created by the API must follow; the hash must be one gatehouse can verify. */
function checkRecord (value: unknown, argon2MaxMemoryKib = Number.POSITIVE_INFINITY): Checked {
  if (!isObject(value)) return { ok: false, error: 'expected an object' }
  const { username: rawName, email, full_name: fullName, disabled, hashed_password: hash, scopes } = value
  if (typeof rawName !== 'string') return { ok: false, error: 'username: expected a string' }
  const username = canonicalUsername(rawName)
  const fail = (error: string): Checked => ({ ok: false, username, error })
  if (!isValidUsername(username)) return fail(`bad username: use ${USERNAME_RULE}`)
  if (typeof hash !== 'string') return fail('hashed_password: expected a string')
  const format = hashFormat(hash)
  if (format === undefined) return fail('unknown hash format: expected bcrypt ($2a$, $2b$, $2y$, cost 4-31) or $argon2id$/$argon2i$ (v=19)')
  if (format.scheme !== 'bcrypt' && format.memoryKib > argon2MaxMemoryKib) {
    return fail(`argon2 hash asks for ${format.memoryKib} KiB of memory, more than this service allows per hash (${argon2MaxMemoryKib} KiB: half the memory limit shared by HASH_CONCURRENCY)`)
  }
  if (!optionalText(email) || (typeof email === 'string' && !isValidEmail(email))) return fail(`bad email: use ${EMAIL_RULE}`)
  if (!optionalText(fullName) || (typeof fullName === 'string' && fullName.length > FULL_NAME_MAX)) return fail(`bad full_name: a string of at most ${FULL_NAME_MAX} characters`)
  if (disabled !== undefined && disabled !== null && typeof disabled !== 'boolean') return fail('disabled: expected true or false')
  if (scopes !== undefined && scopes !== null && !(Array.isArray(scopes) && scopes.every(s => typeof s === 'string' && isValidScope(s)))) {
    return fail('bad scopes: expected an array of scope names (printable ASCII, no spaces or quotes, at most 64 characters)')
  }
  return {
    ok: true,
    user: {
      username,
      email: email ?? null,
      fullName: fullName ?? null,
      passwordHash: hash,
      disabled: disabled === true,
      scopes: normalizeScopes((scopes as string[] | null | undefined) ?? [])
    }
  }
}

function sameUser (stored: User, user: NewUser): boolean {
  return stored.passwordHash === user.passwordHash && stored.email === user.email && stored.fullName === user.fullName &&
    stored.disabled === user.disabled && stored.scopes.join(' ') === user.scopes.join(' ')
}

/**
 * Checks every record first (its fields, duplicates in the file, names already
 * stored per `onConflict`), then writes all of them in one transaction, or
 * nothing when any record is bad. Idempotent: a user stored exactly as its
 * record says is skipped, whatever `onConflict`.
 */
export async function importUsers (store: Store, records: readonly ImportRecord[], options: ImportOptions, parseErrors: readonly ImportError[] = []): Promise<ImportReport> {
  const errors: ImportError[] = [...parseErrors]
  const valid: Array<{ line: number, user: NewUser }> = []
  const firstLine = new Map<string, number>()
  for (const { line, value } of records) {
    const checked = checkRecord(value, options.argon2MaxMemoryKib)
    if (!checked.ok) {
      errors.push({ line, ...(checked.username === undefined ? {} : { username: checked.username }), error: checked.error })
      continue
    }
    const username = checked.user.username
    const earlier = firstLine.get(username)
    if (earlier !== undefined) {
      errors.push({ line, username, error: `duplicate: the same username as line ${earlier}` })
      continue
    }
    firstLine.set(username, line)
    valid.push({ line, user: checked.user })
  }

  const stored = await store.users.findMany(valid.map(v => v.user.username))
  const create: NewUser[] = []
  const update: Array<NewUser & { hashChanged: boolean }> = []
  let skipped = 0
  for (const { line, user } of valid) {
    const existing = stored.get(user.username)
    if (existing === undefined) create.push(user)
    else if (sameUser(existing, user)) skipped++
    else if (options.onConflict === 'skip') skipped++
    else if (options.onConflict === 'update') update.push({ ...user, hashChanged: existing.passwordHash !== user.passwordHash })
    else errors.push({ line, username: user.username, error: 'duplicate: a user with this username already exists (--on-conflict skip or update)' })
  }

  errors.sort((a, b) => a.line - b.line)
  const report = { created: create.length, updated: update.length, skipped, revoked_sessions: 0, dry_run: options.dryRun, errors }
  if (errors.length > 0) return { ...report, created: 0, updated: 0, skipped: 0 }
  if (options.dryRun) return report
  const total = create.length + update.length
  options.onProgress?.(0, total)
  try {
    const written = await store.users.importMany({ create, update }, done => options.onProgress?.(done, total))
    for (const user of [...create, ...update]) options.onHashStored?.(user.passwordHash)
    return { ...report, revoked_sessions: written.revokedSessions }
  } catch (err) {
    if (err instanceof ImportRaceError) throw conflict('A username of the import was created meanwhile; nothing was imported: run the import again')
    throw err
  }
}

/** The report as lines for a person: the counts, then each bad record. */
export function describeReport (report: ImportReport): string {
  const lines = report.errors.map(e => `line ${e.line}${e.username === undefined ? '' : ` (${e.username})`}: ${e.error}`)
  if (report.errors.length > 0) return lines.join('\n')
  const verb = report.dry_run ? 'would import' : 'imported'
  const revoked = report.revoked_sessions > 0 ? `; ${report.revoked_sessions} session(s) revoked` : ''
  return `${verb}: ${report.created} created, ${report.updated} updated, ${report.skipped} skipped${revoked}`
}
