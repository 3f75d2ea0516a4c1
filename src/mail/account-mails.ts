import type { OutgoingMail } from './outgoing-mail.js'

/**
 * The mails of the account lifecycle, in plain text and HTML. Every value
 * that comes from a user (a full name, an address) is HTML-escaped in the
 * HTML part; the recipient's name only goes into the header through the
 * mailer, which encodes it (CR/LF are refused before: outgoing-mail.ts).
 */

export interface Recipient {
  email: string
  fullName: string | null
  username: string
}

const LINE_BREAK_OR_CONTROL = /[\p{Cc}\u2028\u2029]/u

/**
 * A user as a mail's recipient at `email`. A full name that could break a
 * mail header (a line break or another control character: the schema allows
 * them) is left out of the mail, header and greeting, rather than stopping
 * it: the mail still goes, addressed to the bare address.
 */
export function recipientOf (user: { username: string, fullName: string | null }, email: string): Recipient {
  const safeName = user.fullName !== null && !LINE_BREAK_OR_CONTROL.test(user.fullName) && user.fullName.trim() !== ''
  return { email, fullName: safeName ? user.fullName : null, username: user.username }
}

/** Where a link points: the front end's page with `{token}` replaced, or nothing (the mail carries the code alone). */
export function linkFor (template: string | undefined, token: string): string | undefined {
  return template?.replaceAll('{token}', encodeURIComponent(token))
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, c => ESCAPES[c] ?? c)

function greetingOf (to: Recipient): string {
  return `Hello ${to.fullName ?? to.username},`
}

function html (paragraphs: string[]): string {
  return '<!doctype html><html><body style="font-family: sans-serif; line-height: 1.5">' +
    paragraphs.map(p => `<p>${p}</p>`).join('') + '</body></html>'
}

function mail (to: Recipient, subject: string, text: string[], htmlParagraphs: string[]): OutgoingMail {
  return { to: to.email, toName: to.fullName ?? undefined, subject, text: text.join('\n\n') + '\n', html: html(htmlParagraphs) }
}

/** The token, as a link when the front end has a page for it, else as a code with the endpoint to send it to. */
function tokenLines (token: string, link: string | undefined, endpoint: string): { text: string[], html: string[] } {
  if (link !== undefined) {
    return {
      text: [`Open this link:\n${link}`],
      html: [`<a href="${escapeHtml(link)}">${escapeHtml(link)}</a>`]
    }
  }
  return {
    text: [`Your code:\n${token}`, `Send it to ${endpoint}.`],
    html: [`Your code: <code style="font-size: 1.1em">${escapeHtml(token)}</code>`, `Send it to <code>${escapeHtml(endpoint)}</code>.`]
  }
}

const minutesText = (seconds: number): string => seconds % 3600 === 0 ? `${seconds / 3600} hour${seconds === 3600 ? '' : 's'}` : `${Math.round(seconds / 60)} minutes`

export function passwordResetMail (to: Recipient, token: string, options: { link: string | undefined, confirmUrl: string, ttlSeconds: number }): OutgoingMail {
  const lines = tokenLines(token, options.link, `POST ${options.confirmUrl}`)
  const ttl = minutesText(options.ttlSeconds)
  const ignore = 'If you did not ask for this, ignore this mail: your password stays as it is.'
  return mail(to, 'Reset your password',
    [greetingOf(to), `Someone (we hope you) asked to reset the password of the account "${to.username}".`, ...lines.text,
      `It works once, for ${ttl}. A newer request replaces it.`, ignore],
    [escapeHtml(greetingOf(to)), `Someone (we hope you) asked to reset the password of the account <b>${escapeHtml(to.username)}</b>.`, ...lines.html,
      `It works once, for ${ttl}. A newer request replaces it.`, ignore])
}

export function passwordChangedMail (to: Recipient, options: { at: number }): OutgoingMail {
  const when = new Date(options.at).toISOString()
  const body = `The password of the account "${to.username}" was changed at ${when}, and every session was signed out.`
  const notYou = 'If this was not you, reset your password at once and tell your administrator.'
  return mail(to, 'Your password was changed',
    [greetingOf(to), body, notYou],
    [escapeHtml(greetingOf(to)), escapeHtml(body), notYou])
}

export function verificationMail (to: Recipient, token: string, options: { link: string | undefined, confirmUrl: string, ttlSeconds: number }): OutgoingMail {
  const lines = tokenLines(token, options.link, `POST ${options.confirmUrl}`)
  const ttl = minutesText(options.ttlSeconds)
  const body = `Confirm that ${to.email} is the address of the account "${to.username}".`
  return mail(to, 'Confirm your email address',
    [greetingOf(to), body, ...lines.text, `It works once, for ${ttl}.`, 'If you did not ask for this, ignore this mail.'],
    [escapeHtml(greetingOf(to)), escapeHtml(body), ...lines.html, `It works once, for ${ttl}.`, 'If you did not ask for this, ignore this mail.'])
}

/** To the old address when the email changes: the owner learns of a change they did not make. */
export function emailChangedNotice (to: Recipient, options: { newEmail: string, at: number }): OutgoingMail {
  const when = new Date(options.at).toISOString()
  const body = `The email address of the account "${to.username}" was changed from ${to.email} to ${options.newEmail} at ${when}.`
  const notYou = 'If this was not you, reset your password at once and tell your administrator.'
  return mail(to, 'Your email address was changed',
    [greetingOf(to), body, notYou],
    [escapeHtml(greetingOf(to)), escapeHtml(body), notYou])
}
