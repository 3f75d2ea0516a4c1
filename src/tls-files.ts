import { readFileSync } from 'node:fs'
import { createSecureContext } from 'node:tls'
import { ConfigError, type Config } from './config.js'

export interface TlsMaterial { cert: Buffer, key: Buffer }

function readPem (variable: string, file: string, problems: string[]): Buffer | undefined {
  try {
    return readFileSync(file)
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message
    problems.push(`${variable}: cannot read ${JSON.stringify(file)} (${reason})`)
    return undefined
  }
}

/**
 * Reads TLS_CERT_FILE / TLS_KEY_FILE once at start and checks that they form
 * a usable pair, so a bad file stops the process with a clear message instead
 * of failing at the first handshake. Throws ConfigError.
 */
export function loadTlsMaterial (tls: NonNullable<Config['tls']>): TlsMaterial {
  const problems: string[] = []
  const cert = readPem('TLS_CERT_FILE', tls.certFile, problems)
  const key = readPem('TLS_KEY_FILE', tls.keyFile, problems)
  if (cert === undefined || key === undefined) throw new ConfigError(problems)
  try {
    createSecureContext({ cert, key })
  } catch (err) {
    throw new ConfigError([`TLS_CERT_FILE, TLS_KEY_FILE: not a usable certificate and private key pair (${(err as Error).message})`])
  }
  return { cert, key }
}
