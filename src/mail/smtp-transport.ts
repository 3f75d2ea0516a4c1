import { AUTO_SUBMITTED, type MailTransport } from './mail-transport.js'
import { checkOutgoingMail } from './outgoing-mail.js'

export interface SmtpSettings {
  /** smtp://user:pass@host:587 (STARTTLS when offered) or smtps://… (TLS from the first byte). */
  url: string
  tlsRejectUnauthorized: boolean
  from: string
}

/**
 * Bounded waits: a send must end well within the outbox lease (one whose
 * process dies is retried after the lease), and an unresponsive server must
 * not hold shutdown for nodemailer's default of minutes.
 */
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000, dnsTimeout: 10_000 }

/** host:port of the SMTP URL, without the credentials: what may be logged. */
export function smtpLocation (url: string): string {
  const parsed = new URL(url)
  return `${parsed.protocol}//${parsed.host}`
}

/** Sends through nodemailer, which does the SMTP (STARTTLS, AUTH, MIME encoding of names and subjects). */
export async function createSmtpTransport (settings: SmtpSettings): Promise<MailTransport> {
  // Loaded only when SMTP_URL is set: the default start does not pay for it.
  const { default: nodemailer } = await import('nodemailer')
  const url = new URL(settings.url)
  const secure = url.protocol === 'smtps:'
  const transporter = nodemailer.createTransport({
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? (secure ? 465 : 587) : Number(url.port),
    secure,
    auth: url.username === '' ? undefined : { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) },
    tls: { rejectUnauthorized: settings.tlsRejectUnauthorized },
    ...TIMEOUTS,
    // No file or URL attachments from message fields, and nothing of the SMTP dialogue (AUTH included) in any log.
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
    debug: false
  })
  return {
    async send (mail) {
      checkOutgoingMail(mail)
      await transporter.sendMail({
        from: settings.from,
        to: mail.toName === undefined ? mail.to : { name: mail.toName, address: mail.to },
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        headers: { 'Auto-Submitted': AUTO_SUBMITTED }
      })
    },
    close () { transporter.close() }
  }
}
