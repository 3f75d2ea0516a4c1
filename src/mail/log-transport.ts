import type { MailTransport } from './mail-transport.js'

export interface MailLog {
  info: (fields: Record<string, unknown>, message: string) => void
}

export const DEVELOPMENT_MAIL_LINE = 'DEVELOPMENT MAIL, not sent (SMTP_URL is not set)'

/**
 * Development without SMTP_URL: "delivery" is one info line with the
 * recipient, the subject and the text body (its link or code), so the
 * embedded default works with no mail server. Never used in production.
 */
export function createLogTransport (log: MailLog): MailTransport {
  return {
    async send (mail) {
      log.info({ mail: { to: mail.to, subject: mail.subject, text: mail.text } }, DEVELOPMENT_MAIL_LINE)
    },
    close () {}
  }
}
