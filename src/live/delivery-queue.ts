/** A failure that retrying cannot fix (a webhook answering 400, say): the delivery fails at once. */
export class PermanentDeliveryError extends Error {
  override name = 'PermanentDeliveryError';
}

/** One delivery: an alert to one recipient or one URL. */
export interface DeliveryJob {
  channel: string;
  /**
   * The destination attempts are limited per (an SMTP server, a webhook URL): a target that
   * hangs can tie up only its own share of the workers, not everyone's.
   */
  key: string;
  /** For logs: a recipient, or a URL's origin (never a secret). */
  target: string;
  /** Makes one attempt; rejects when it failed. */
  attempt(signal: AbortSignal): Promise<void>;
}

/** Counters of one channel. */
export interface ChannelCounters {
  /** Deliveries that succeeded (on any attempt). */
  delivered: number;
  /** Deliveries given up on (attempts exhausted or a permanent error). */
  failed: number;
  /** Attempts that failed and were retried. */
  retries: number;
  /** Deliveries refused because the queue was full. */
  dropped: number;
}

/** Options of a {@link DeliveryQueue}. */
export interface DeliveryQueueOptions {
  /** Deliveries held at once (waiting, in flight or backing off); more are dropped. */
  capacity: number;
  /** Attempts running at once. */
  concurrency: number;
  /** Attempts running at once per {@link DeliveryJob.key}. */
  concurrencyPerKey: number;
  maxAttempts: number;
  /** Backoff before retry n: `retryBaseMs * 2^(n-1)`, at most `retryMaxMs`. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Called once per delivery that fails for good, and per failed attempt that will be retried. */
  onFailure: (job: DeliveryJob, error: unknown, attempt: number, final: boolean) => void;
}

interface Entry {
  job: DeliveryJob;
  attempts: number;
}

/**
 * Fire-and-forget delivery with bounded memory: `push` returns at once, attempts run in the
 * background (at most `concurrency` at a time, `concurrencyPerKey` per destination), failures are retried with exponential backoff
 * up to `maxAttempts`, and a full queue drops (and counts) rather than grows. Nothing here can
 * block or fail the caller.
 */
export class DeliveryQueue {
  private readonly waiting: Entry[] = [];
  private running = 0;
  private readonly runningPerKey = new Map<string, number>();
  private backingOff = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly abort = new AbortController();
  private closed = false;
  private readonly counters = new Map<string, ChannelCounters>();

  constructor(private readonly options: DeliveryQueueOptions) {}

  /** Deliveries held now: waiting, in flight, or waiting to be retried. */
  get size(): number {
    return this.waiting.length + this.running + this.backingOff;
  }

  /** Attempts running now. */
  get inFlight(): number {
    return this.running;
  }

  /** Queues a delivery; false (and counted as dropped) when the queue is full or closed. */
  push(job: DeliveryJob): boolean {
    if (this.closed || this.size >= this.options.capacity) {
      this.countersOf(job.channel).dropped += 1;
      return false;
    }
    this.waiting.push({ job, attempts: 0 });
    this.pump();
    return true;
  }

  /** A copy of the counters of a channel. */
  counts(channel: string): ChannelCounters {
    return { ...this.countersOf(channel) };
  }

  private countersOf(channel: string): ChannelCounters {
    let counters = this.counters.get(channel);
    if (!counters) {
      counters = { delivered: 0, failed: 0, retries: 0, dropped: 0 };
      this.counters.set(channel, counters);
    }
    return counters;
  }

  /** Stops: pending retries are cancelled, attempts in flight are aborted. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.backingOff = 0;
    this.waiting.length = 0;
    this.abort.abort(new Error('alert delivery stopped'));
  }

  private pump(): void {
    while (!this.closed && this.running < this.options.concurrency) {
      // The oldest delivery whose destination has a free slot.
      const index = this.waiting.findIndex(
        (entry) => (this.runningPerKey.get(entry.job.key) ?? 0) < this.options.concurrencyPerKey,
      );
      if (index < 0) return;
      const [entry] = this.waiting.splice(index, 1);
      this.running += 1;
      this.runningPerKey.set(entry!.job.key, (this.runningPerKey.get(entry!.job.key) ?? 0) + 1);
      void this.run(entry!);
    }
  }

  private async run(entry: Entry): Promise<void> {
    entry.attempts += 1;
    const counters = this.countersOf(entry.job.channel);
    try {
      await entry.job.attempt(this.abort.signal);
      counters.delivered += 1;
    } catch (error) {
      if (this.closed) return;
      const final = error instanceof PermanentDeliveryError || entry.attempts >= this.options.maxAttempts;
      this.options.onFailure(entry.job, error, entry.attempts, final);
      if (final) counters.failed += 1;
      else {
        counters.retries += 1;
        this.retryLater(entry);
      }
    } finally {
      this.running -= 1;
      const left = (this.runningPerKey.get(entry.job.key) ?? 1) - 1;
      if (left > 0) this.runningPerKey.set(entry.job.key, left);
      else this.runningPerKey.delete(entry.job.key);
      this.pump();
    }
  }

  private retryLater(entry: Entry): void {
    const delay = Math.min(this.options.retryMaxMs, this.options.retryBaseMs * 2 ** (entry.attempts - 1));
    this.backingOff += 1;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.backingOff -= 1;
      if (this.closed) return;
      this.waiting.push(entry);
      this.pump();
    }, delay);
    // A pending retry must not keep a stopping process alive.
    timer.unref();
    this.timers.add(timer);
  }
}
