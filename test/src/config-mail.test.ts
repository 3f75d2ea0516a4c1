import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { ConfigError, DEVELOPMENT_MAIL_FROM, loadConfig } from '../../src/config.js'
import { tempDir } from '../helper.js'

const SMTP_URL = 'smtp://mailer:s3cret-pw@mail.example.com:587'

function problem (env: Record<string, string>): string {
  try {
    loadConfig(env)
  } catch (err) {
    if (err instanceof ConfigError) return err.message
    throw err
  }
  throw new Error('expected a ConfigError')
}

t.test('mail defaults: no SMTP, the development sender, 8 attempts, certificates verified', async t => {
  const { mail } = loadConfig({})
  t.match(mail, { smtpUrl: undefined, from: DEVELOPMENT_MAIL_FROM, maxAttempts: 8, tlsRejectUnauthorized: true })
  t.match(mail.timing, { retryBaseMs: 30_000, retryMaxMs: 3_600_000 })
})

t.test('SMTP_URL, MAIL_FROM, SMTP_TLS_REJECT_UNAUTHORIZED and MAIL_MAX_ATTEMPTS are read', async t => {
  const { mail } = loadConfig({ SMTP_URL, MAIL_FROM: 'Gatehouse <no-reply@example.com>', SMTP_TLS_REJECT_UNAUTHORIZED: 'false', MAIL_MAX_ATTEMPTS: '3' })
  t.match(mail, { smtpUrl: SMTP_URL, from: 'Gatehouse <no-reply@example.com>', tlsRejectUnauthorized: false, maxAttempts: 3 })
  t.equal(loadConfig({ SMTP_URL: 'smtps://mail.example.com', MAIL_FROM: 'a@example.com' }).mail.smtpUrl, 'smtps://mail.example.com')
})

t.test('SMTP_URL needs MAIL_FROM', async t => {
  t.match(problem({ SMTP_URL }), /MAIL_FROM: set the sender/)
})

t.test('a bad SMTP_URL is refused without showing it (it holds a password)', async t => {
  for (const url of ['http://mailer:s3cret-pw@mail.example.com', 'mail.example.com:587', 'smtp://mailer:s3cret-pw@mail.example.com/path']) {
    const message = problem({ SMTP_URL: url, MAIL_FROM: 'a@example.com' })
    t.match(message, /SMTP_URL: expected smtp:\/\/.*\(value hidden\)/, url)
    t.notMatch(message, /s3cret-pw/)
  }
})

t.test('MAIL_FROM must be one line with an address; MAIL_MAX_ATTEMPTS is bounded', async t => {
  t.match(problem({ MAIL_FROM: 'Gatehouse <a@example.com>\r\nBcc: all@example.com' }), /MAIL_FROM: expected an address/)
  t.match(problem({ MAIL_FROM: 'Gatehouse' }), /MAIL_FROM: expected an address/)
  t.match(problem({ MAIL_MAX_ATTEMPTS: '0' }), /MAIL_MAX_ATTEMPTS: expected a whole number from 1 to 100/)
})

t.test('SMTP_URL_FILE: read from a file (one trailing newline dropped); not together with SMTP_URL', async t => {
  const file = join(tempDir(t), 'smtp-url')
  writeFileSync(file, `${SMTP_URL}\n`)
  t.equal(loadConfig({ SMTP_URL_FILE: file, MAIL_FROM: 'a@example.com' }).mail.smtpUrl, SMTP_URL)
  t.match(problem({ SMTP_URL_FILE: file, SMTP_URL, MAIL_FROM: 'a@example.com' }), /SMTP_URL, SMTP_URL_FILE: set one of them, not both/)
})
