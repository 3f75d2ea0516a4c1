import type { OutgoingMail } from './outgoing-mail.js'

/** Hands one mail over (to an SMTP server, or to the log); rejects when it was not accepted. */
export interface MailTransport {
  send: (mail: OutgoingMail) => Promise<void>
  close: () => void
}

/** The header every mail carries (RFC 3834): auto-responders and vacation replies stay quiet. */
export const AUTO_SUBMITTED = 'auto-generated'
