import { readFileSync } from 'node:fs'

/**
 * Secrets that may be given as a file instead (`NAME_FILE=/run/secrets/…`),
 * like the official database images do: compose and Kubernetes mount secrets
 * as files, and a file is not visible in the process environment.
 */
export const FILE_VARIABLES = ['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET', 'SMTP_URL', 'MFA_ENCRYPTION_KEY'] as const

/** The file's content without its one trailing newline (what `echo … > file` adds). */
export function readSecretFile (file: string): string {
  return readFileSync(file, 'utf8').replace(/\r?\n$/, '')
}

/** The values read from `NAME_FILE` files, and a problem for each file that cannot be used. */
export function readFileVariables (raw: Record<string, string | undefined>): { values: Record<string, string>, problems: string[] } {
  const values: Record<string, string> = {}
  const problems: string[] = []
  const set = (name: string) => raw[name] !== undefined && raw[name] !== ''
  for (const name of FILE_VARIABLES) {
    const file = raw[`${name}_FILE`]
    if (file === undefined || file === '') continue
    if (set(name)) {
      problems.push(`${name}, ${name}_FILE: set one of them, not both`)
      continue
    }
    try {
      values[name] = readSecretFile(file)
    } catch (err) {
      problems.push(`${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`)
      continue
    }
    if (values[name] === '') problems.push(`${name}_FILE: ${file} is empty`)
  }
  return { values, problems }
}
