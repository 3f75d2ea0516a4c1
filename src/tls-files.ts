import { createSecureContext } from 'node:tls'
import { ConfigError, type Config } from './config.js'
import { readPemFile } from './pem-files.js'

export interface TlsMaterial { cert: Buffer, key: Buffer }

/**
 * Reads TLS_CERT_FILE / TLS_KEY_FILE once at start and checks that they form
 * a usable pair, so a bad file stops the process with a clear message instead
 * of failing at the first handshake. Throws ConfigError.
 */
export function loadTlsMaterial (tls: NonNullable<Config['tls']>): TlsMaterial {
  const problems: string[] = []
  const certPem = readPemFile(tls.certFile, 'TLS_CERT_FILE', problems)
  const keyPem = readPemFile(tls.keyFile, 'TLS_KEY_FILE', problems)
  if (certPem === undefined || keyPem === undefined) throw new ConfigError(problems)
  const cert = Buffer.from(certPem)
  const key = Buffer.from(keyPem)
  try {
    createSecureContext({ cert, key })
  } catch (err) {
    throw new ConfigError([`TLS_CERT_FILE, TLS_KEY_FILE: not a usable certificate and private key pair (${(err as Error).message})`])
  }
  return { cert, key }
}
