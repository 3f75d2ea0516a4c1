import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { simpleParser, type ParsedMail } from 'mailparser'
import { SMTPServer } from 'smtp-server'
import type { Test } from 'tap'
import { freePort, waitFor } from '../../child-process.js'
import { tempDir } from '../../helper.js'

export const SMTP_USER = 'mailer'
export const SMTP_PASSWORD = 'smtp-Pass/word:42'

export interface ReceivedMail {
  parsed: ParsedMail
  /** The raw message as the server got it. */
  raw: string
  /** True once STARTTLS (or smtps) protected the session. */
  secure: boolean
  user: string | undefined
  envelope: { from: string, to: string[] }
}

export interface TestSmtpServer {
  port: number
  /** smtp://user:pass@127.0.0.1:port (the password percent-encoded). */
  url: string
  received: ReceivedMail[]
  /** Resolves once at least n mails have arrived (throws after ~10 s). */
  waitForMails: (n: number) => Promise<ReceivedMail[]>
  stop: () => Promise<void>
}

export function hasOpenssl (): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** A self-signed P-256 certificate for 127.0.0.1 and localhost, valid one day, made now. */
export function selfSigned (t: Test): { cert: Buffer, key: Buffer } {
  const dir = tempDir(t)
  const certFile = join(dir, 'cert.pem')
  const keyFile = join(dir, 'key.pem')
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-days', '1', '-keyout', keyFile, '-out', certFile
  ], { stdio: 'pipe' })
  return { cert: readFileSync(certFile), key: readFileSync(keyFile) }
}

/**
 * A real SMTP server in the test process, on 127.0.0.1: STARTTLS offered
 * with the given certificate, AUTH required (and, as smtp-server does by
 * default, refused before STARTTLS). Stopped in teardown.
 */
export async function startSmtpServer (t: Test, tls: { cert: Buffer, key: Buffer }, options: { port?: number } = {}): Promise<TestSmtpServer> {
  const port = options.port ?? await freePort()
  const received: ReceivedMail[] = []
  const server = new SMTPServer({
    ...tls,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth (auth, _session, callback) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) callback(null, { user: auth.username })
      else callback(new Error('Invalid username or password'))
    },
    onData (stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => { chunks.push(chunk) })
      stream.on('end', () => {
        const raw = Buffer.concat(chunks)
        simpleParser(raw).then(parsed => {
          const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address
          received.push({ parsed, raw: raw.toString('utf8'), secure: session.secure, user: session.user as string | undefined, envelope: { from, to: session.envelope.rcptTo.map(r => r.address) } })
          callback()
        }, (err: Error) => { callback(err) })
      })
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => { server.off('error', reject); resolve() })
  })
  server.on('error', () => {}) // a client dropping its connection mid-dialogue is not a test failure
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    await new Promise<void>(resolve => { server.close(() => { resolve() }) })
  }
  t.teardown(stop)
  return {
    port,
    url: `smtp://${SMTP_USER}:${encodeURIComponent(SMTP_PASSWORD)}@127.0.0.1:${port}`,
    received,
    waitForMails: async (n) => {
      await waitFor(`${n} mails at the SMTP server`, async () => received.length >= n)
      return received
    },
    stop
  }
}
