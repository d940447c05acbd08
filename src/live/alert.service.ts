import { Query } from 'mingo';
import { createTransport, type Transporter } from 'nodemailer';
import type { Config } from '../core/config';
import type { Logger } from '../core/logger';
import type { EventDocument } from '../store/event-document';
import { alertBody, alertSubject, webhookPayload, xPriority } from './alert-message';
import { alertSelector } from './alert-selector';
import { DeliveryQueue, PermanentDeliveryError, type ChannelCounters, type DeliveryJob } from './delivery-queue';

/** Attempts running at once, over both channels. */
const CONCURRENCY = 8;
/** Attempts running at once per SMTP server or webhook URL. */
const CONCURRENCY_PER_TARGET = 2;

/** Counters of alert delivery, for tests and the future `/metrics`. */
export interface AlertMetrics {
  /** Newly stored events that were alerts. */
  alerts: number;
  /** Deliveries held now (waiting, in flight, or waiting to be retried). */
  pending: number;
  /** Attempts running now. */
  inFlight: number;
  email: ChannelCounters;
  webhook: ChannelCounters;
}

/**
 * Sends alerts out (docs/madsci-compatibility.md#d28-which-events-alert-and-the-alert-mail): for each newly stored event with
 * `alert: true` or a level at or above `ALERT_LEVEL`, one email per configured address (SMTP
 * through nodemailer, STARTTLS when `SMTP_USE_TLS`, login when both credentials are set) and one
 * JSON POST per webhook URL. Delivery is fire-and-forget through a bounded queue with retries and
 * exponential backoff: it never blocks or fails ingest; failures are logged and counted.
 * Duplicates of stored events (client retries) do not alert again.
 */
export class AlertService {
  private readonly query: Query;
  private readonly queue: DeliveryQueue;
  private readonly transporter: Transporter | null;
  private readonly addresses: readonly string[];
  private alerts = 0;

  constructor(
    private readonly config: Config['alerts'],
    logger: Logger,
  ) {
    this.query = new Query(alertSelector(config.level));
    this.queue = new DeliveryQueue({
      capacity: config.queueSize,
      concurrency: CONCURRENCY,
      concurrencyPerKey: CONCURRENCY_PER_TARGET,
      maxAttempts: config.maxAttempts,
      retryBaseMs: config.retryBaseMs,
      retryMaxMs: config.retryMaxMs,
      onFailure: (job, error, attempt, final) => {
        const log = { channel: job.channel, target: job.target, attempt, err: error };
        if (final) logger.error(log, 'alert delivery failed; giving up');
        else logger.warn(log, 'alert delivery failed; will retry');
      },
    });
    const email = config.email;
    this.addresses = email?.addresses ?? [];
    if (email && this.addresses.length === 0)
      logger.warn('SMTP_SERVER is set but ALERT_EMAIL_ADDRESSES is empty: no alert emails will be sent');
    this.transporter =
      email && this.addresses.length > 0
        ? createTransport({
            host: email.server,
            port: email.port,
            // MADSci's transport: a plain connection, upgraded with STARTTLS when use_tls.
            secure: false,
            requireTLS: email.useTls,
            ignoreTLS: !email.useTls,
            tls: { rejectUnauthorized: email.rejectUnauthorized },
            ...(email.username && email.password ? { auth: { user: email.username, pass: email.password } } : {}),
            connectionTimeout: config.timeoutMs,
            greetingTimeout: config.timeoutMs,
            socketTimeout: config.timeoutMs,
          })
        : null;
  }

  /** Queues the deliveries of the alerts among newly stored events. Returns at once. */
  handle(docs: readonly EventDocument[]): void {
    for (const doc of docs) {
      if (!this.query.test(doc as unknown as Record<string, unknown>)) continue;
      this.alerts += 1;
      if (this.transporter) {
        for (const address of this.addresses) this.queue.push(this.emailJob(doc, address));
      }
      if (this.config.webhookUrls.length > 0) {
        const body = JSON.stringify(webhookPayload(doc));
        for (const url of this.config.webhookUrls) this.queue.push(this.webhookJob(doc, url, body));
      }
    }
  }

  metrics(): AlertMetrics {
    return {
      alerts: this.alerts,
      pending: this.queue.size,
      inFlight: this.queue.inFlight,
      email: this.queue.counts('email'),
      webhook: this.queue.counts('webhook'),
    };
  }

  /** Stops delivering: retries are cancelled, webhook requests aborted. Idempotent. */
  async close(): Promise<void> {
    this.queue.close();
    this.transporter?.close();
  }

  private emailJob(doc: EventDocument, address: string): DeliveryJob {
    const email = this.config.email!;
    const transporter = this.transporter!;
    return {
      channel: 'email',
      key: `smtp:${email.server}:${email.port}`,
      target: address,
      attempt: async () => {
        await transporter.sendMail({
          from: email.sender,
          to: address,
          subject: alertSubject(doc),
          text: alertBody(doc),
          headers: {
            Importance: email.importance,
            'X-Priority': xPriority(email.importance),
            'X-MADSci-Event-ID': doc._id,
          },
        });
      },
    };
  }

  private webhookJob(doc: EventDocument, url: string, body: string): DeliveryJob {
    return {
      channel: 'webhook',
      key: url,
      // A webhook URL may carry a token: logs name its origin only.
      target: new URL(url).origin,
      attempt: async (signal) => {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-madsci-event-id': doc._id },
          body,
          signal: AbortSignal.any([signal, AbortSignal.timeout(this.config.timeoutMs)]),
        });
        // Read the body so the connection can be reused.
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) return;
        const message = `webhook answered HTTP ${response.status}`;
        const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
        throw retryable ? new Error(message) : new PermanentDeliveryError(message);
      },
    };
  }
}
