import { readFileSync, statSync } from 'node:fs'

/** A PEM key or certificate chain is a few KB; anything larger is not one (and /dev/zero would never end). */
export const MAX_PEM_FILE_BYTES = 64 * 1024

/**
 * How a configured path may appear in an error message: as given, unless it
 * looks like key material pasted into the variable instead of a path, which
 * must never reach stderr or a log.
 */
export function shownPath (file: string): string {
  return /-----BEGIN|[\r\n]/.test(file) ? '(value hidden: it looks like a PEM, not a path)' : JSON.stringify(file)
}

/**
 * Reads a PEM file named by a configuration variable, for start-up checks:
 * a regular file of at most MAX_PEM_FILE_BYTES, or a problem pushed onto
 * `problems` (the caller throws ConfigError with all of them).
 */
export function readPemFile (file: string, variable: string, problems: string[]): string | undefined {
  try {
    const stat = statSync(file)
    if (!stat.isFile()) {
      problems.push(`${variable}: ${shownPath(file)} is not a regular file`)
      return undefined
    }
    if (stat.size > MAX_PEM_FILE_BYTES) {
      problems.push(`${variable}: ${shownPath(file)} is ${stat.size} bytes, too large for a PEM file`)
      return undefined
    }
    return readFileSync(file, 'utf8')
  } catch (err) {
    problems.push(`${variable}: cannot read ${shownPath(file)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`)
    return undefined
  }
}
