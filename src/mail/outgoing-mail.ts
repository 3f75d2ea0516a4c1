/** A mail as the features write it; the sender is always MAIL_FROM. */
export interface OutgoingMail {
  /** One address, `user@host`. */
  to: string
  /** A display name shown with the address (a user's full name, say). */
  toName?: string | undefined
  subject: string
  text: string
  html: string
}

export class MailHeaderError extends Error {
  constructor (field: string) {
    super(`mail ${field}: line breaks, and in an address spaces and <>(),;:" too, are refused (header injection)`)
    this.name = 'MailHeaderError'
  }
}

/** One plain address; anything with room for a second header or a second recipient is refused. */
const ADDRESS = /^[^\s@<>(),;:"\\[\]]{1,64}@[^\s@<>(),;:"\\[\]]{1,255}$/
const LINE_BREAK = /[\r\n\u2028\u2029\0]/

/**
 * Refuses what could smuggle a header into the message: a recipient, a name
 * or a subject (user-derived text, such as a full name) with CR/LF. The
 * mailer encodes names and subjects itself; this check keeps a header
 * injection attempt from ever reaching the outbox.
 */
export function checkOutgoingMail (mail: OutgoingMail): void {
  if (!ADDRESS.test(mail.to) || mail.to.length > 320) throw new MailHeaderError('recipient')
  if (mail.toName !== undefined && (LINE_BREAK.test(mail.toName) || mail.toName.length > 200)) throw new MailHeaderError('recipient name')
  if (LINE_BREAK.test(mail.subject) || mail.subject.length === 0 || mail.subject.length > 500) throw new MailHeaderError('subject')
}
