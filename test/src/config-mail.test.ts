import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { DEVELOPMENT_MAIL_FROM, loadConfig } from '../../src/config.js'
import { tempDir } from '../helper.js'
import { configProblem } from './config-problem.js'

const SMTP_URL = 'smtp://mailer:s3cret-pw@mail.example.com:587'

const problem = configProblem

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

t.test('account settings: defaults, link templates with {token}, TTLs', async t => {
  t.same(loadConfig({}).account, { resetUrl: undefined, verifyUrl: undefined, passwordResetTtlSeconds: 1800, passwordResetLimits: { maxPerAddress: 3, maxPerIp: 30, windowSeconds: 3600 }, emailVerificationTtlSeconds: 172_800, emailVerificationRequired: false })
  const { account } = loadConfig({
    APP_RESET_URL: 'https://app.example.com/reset?token={token}',
    APP_VERIFY_URL: 'https://app.example.com/verify/{token}',
    PASSWORD_RESET_TTL_MINUTES: '10',
    PASSWORD_RESET_MAX_PER_ADDRESS: '5',
    PASSWORD_RESET_MAX_PER_IP: '50',
    PASSWORD_RESET_WINDOW_MINUTES: '15',
    EMAIL_VERIFICATION_TTL_HOURS: '2',
    EMAIL_VERIFICATION_REQUIRED: 'true'
  })
  t.same(account, { resetUrl: 'https://app.example.com/reset?token={token}', verifyUrl: 'https://app.example.com/verify/{token}', passwordResetTtlSeconds: 600, passwordResetLimits: { maxPerAddress: 5, maxPerIp: 50, windowSeconds: 900 }, emailVerificationTtlSeconds: 7200, emailVerificationRequired: true })
  t.match(problem({ APP_RESET_URL: 'https://app.example.com/reset' }), /APP_RESET_URL: expected an http\(s\) URL with \{token\}/)
  t.match(problem({ APP_VERIFY_URL: 'javascript:{token}' }), /APP_VERIFY_URL: expected/)
  t.match(problem({ PASSWORD_RESET_TTL_MINUTES: '1' }), /PASSWORD_RESET_TTL_MINUTES: expected a whole number from 5 to 1440/)
  t.match(problem({ PASSWORD_RESET_MAX_PER_ADDRESS: '0' }), /PASSWORD_RESET_MAX_PER_ADDRESS: expected a whole number from 1 to 1000/)
  t.match(problem({ PASSWORD_RESET_WINDOW_MINUTES: '2000' }), /PASSWORD_RESET_WINDOW_MINUTES: expected a whole number from 1 to 1440/)
})

t.test('production without SMTP_URL refuses to start when sign-up is open or verification is required', async t => {
  const production = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(64) }
  t.match(problem({ ...production, SIGNUP_ENABLED: 'true' }), /SMTP_URL: required in production with SIGNUP_ENABLED=true/)
  t.match(problem({ ...production, EMAIL_VERIFICATION_REQUIRED: 'true' }), /SMTP_URL: required in production with EMAIL_VERIFICATION_REQUIRED=true/)
  t.match(problem({ ...production, SIGNUP_ENABLED: 'true', EMAIL_VERIFICATION_REQUIRED: 'true' }), /SIGNUP_ENABLED and EMAIL_VERIFICATION_REQUIRED=true/)
  t.equal(loadConfig({ ...production }).mail.smtpUrl, undefined, 'neither: mail waits in the outbox, as before')
  t.ok(loadConfig({ ...production, SIGNUP_ENABLED: 'true', SMTP_URL, MAIL_FROM: 'a@example.com' }), 'with SMTP_URL it starts')
  t.ok(loadConfig({ SIGNUP_ENABLED: 'true', EMAIL_VERIFICATION_REQUIRED: 'true' }), 'development: mail goes to the log')
})
