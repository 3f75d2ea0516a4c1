import type { Registry } from 'prom-client'

export interface MailMetrics {
  sent: () => void
  attemptFailed: () => void
  failedForGood: () => void
}

/** The mail outbox's counters, and its depth read at scrape time; registered only when the outbox runs. */
export async function registerMailMetrics (registry: Registry, pendingCount: () => Promise<number>): Promise<MailMetrics> {
  const { Counter, Gauge } = await import('prom-client')
  const sent = new Counter({ name: 'gatehouse_mail_sent_total', help: 'Mails accepted by the SMTP server (or, in development, written to the log)', registers: [registry] })
  const attempts = new Counter({ name: 'gatehouse_mail_send_failures_total', help: 'Failed delivery attempts (each is retried until MAIL_MAX_ATTEMPTS)', registers: [registry] })
  const failed = new Counter({ name: 'gatehouse_mail_failed_total', help: 'Mails given up after MAIL_MAX_ATTEMPTS attempts, kept as failed in the outbox', registers: [registry] })
  new Gauge({
    name: 'gatehouse_mail_outbox_pending',
    help: 'Mails waiting in the outbox to be sent, due or not (all instances)',
    registers: [registry],
    async collect () {
      // A store outage leaves the last value: the scrape itself still answers.
      try { this.set(await pendingCount()) } catch {}
    }
  })
  return { sent: () => { sent.inc() }, attemptFailed: () => { attempts.inc() }, failedForGood: () => { failed.inc() } }
}
