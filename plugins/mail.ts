import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Kysely } from 'kysely'
import { createLogTransport } from '../src/mail/log-transport.js'
import type { MailTransport } from '../src/mail/mail-transport.js'
import { startOutboxWorker, type OutboxWorker } from '../src/mail/outbox-worker.js'
import type { OutgoingMail } from '../src/mail/outgoing-mail.js'
import { createSmtpTransport, smtpLocation } from '../src/mail/smtp-transport.js'
import { registerMailMetrics, type MailMetrics } from '../src/metrics/mail-metrics.js'
import type { Database } from '../src/store/schema.js'

/** smtp: sent through SMTP_URL; log: development, written to the log; none: production without SMTP_URL, kept in the outbox. */
export type MailDelivery = 'smtp' | 'log' | 'none'

export interface MailService {
  delivery: MailDelivery
  /**
   * Writes a mail to the outbox with `executor`: pass the Kysely transaction
   * that writes what the mail announces (both commit or neither), or
   * app.store.handle.db. Outside a transaction the worker is woken at once;
   * inside one, call wake() after the commit (else the next poll sends it).
   * Refuses header injection (MailHeaderError). Never waits for SMTP.
   */
  enqueue: (executor: Kysely<Database>, mail: OutgoingMail) => Promise<number>
  wake: () => void
}

declare module 'fastify' {
  interface FastifyInstance {
    mail: MailService
  }
}

const NO_METRICS: MailMetrics = { sent: () => {}, attemptFailed: () => {}, failedForGood: () => {} }

/**
 * The mail outbox and its worker (src/mail/outbox-worker.ts), started after
 * the store and stopped with the app: the mail being sent is finished, the
 * rest waits in the outbox for the next start (or another instance).
 */
/** The worker with its transport, metrics and log lines; its settings are the app's. */
async function startWorker (app: FastifyInstance): Promise<OutboxWorker> {
  const settings = app.config.mail
  const log = app.log.child({ component: 'mail' })
  const transport: MailTransport = settings.smtpUrl !== undefined
    ? await createSmtpTransport({ url: settings.smtpUrl, tlsRejectUnauthorized: settings.tlsRejectUnauthorized, from: settings.from })
    : createLogTransport(log)
  const metrics = app.hasDecorator('metrics') ? await registerMailMetrics(app.metrics.registry, app.store.outbox.pendingCount) : NO_METRICS
  return startOutboxWorker({
    outbox: app.store.outbox,
    transport,
    maxAttempts: settings.maxAttempts,
    timing: settings.timing,
    events: {
      sent: (mail) => {
        metrics.sent()
        log.debug({ mail_id: mail.id, attempt: mail.attempts }, 'mail sent')
      },
      attemptFailed: (mail, err, retryInMs) => {
        metrics.attemptFailed()
        log.warn({ mail_id: mail.id, attempt: mail.attempts, max_attempts: settings.maxAttempts, retry_in_ms: retryInMs, err: { message: err.message } }, 'mail delivery failed; will retry')
      },
      failedForGood: (mail, err) => {
        metrics.attemptFailed()
        metrics.failedForGood()
        log.warn({ mail_id: mail.id, to: mail.to, subject: mail.subject, attempts: mail.attempts, err: { message: err.message } },
          'mail failed for good: kept as failed in the outbox, not retried')
      },
      outboxFailed: (err) => { log.warn({ err: { message: err.message } }, 'mail outbox unavailable; retrying') }
    }
  })
}

/**
 * The mail outbox and its worker (src/mail/outbox-worker.ts), started after
 * the store and stopped with the app: the mail being sent is finished, the
 * rest waits in the outbox for the next start (or another instance).
 */
export default fp(async (app) => {
  const { mail: settings, production } = app.config
  const delivery: MailDelivery = settings.smtpUrl !== undefined ? 'smtp' : production ? 'none' : 'log'
  const worker = delivery === 'none' ? undefined : await startWorker(app)

  app.decorate('mail', {
    delivery,
    enqueue: async (executor, mail) => {
      const id = await app.store.outbox.enqueue(executor, mail)
      if (!executor.isTransaction) worker?.wake()
      return id
    },
    wake: () => { worker?.wake() }
  } satisfies MailService)

  if (worker === undefined) {
    app.log.info('SMTP_URL is not set: mail is kept in the outbox, not sent, until SMTP_URL is set')
    return
  }
  app.addHook('onClose', async () => { await worker.close() })
  app.log.info(settings.smtpUrl !== undefined
    ? { mail: 'smtp', smtp: smtpLocation(settings.smtpUrl) }
    : { mail: 'log' }, settings.smtpUrl !== undefined ? 'mail: sending through SMTP' : 'mail: development delivery to this log (SMTP_URL is not set)')
}, { name: 'mail', dependencies: ['config', 'store'], fastify: '5.x' })
