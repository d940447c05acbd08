import type { EventDocument } from '../store/event-document';
import type { LiveBus } from './live-bus';
import { SlowConsumerError } from '../core/errors';

/**
 * How long a replayed id is remembered after it was handed out. An event the replay read can
 * still reach the subscriber live afterwards: its publication trails the store's
 * acknowledgement by a moment (a turn of the event loop here, a Redis hop from another
 * instance). A few seconds covers that moment by orders of magnitude while keeping the memory
 * of a long replay small.
 */
export const SEAM_MEMORY_MS = 5000;

/** Counters shared by the subscribers of one server. */
export interface SubscriberCounters {
  /** Subscribers ended because they fell too far behind. */
  slowConsumersEnded: number;
  /** Largest number of events one subscriber ever held queued (at most the buffer plus one batch). */
  peakQueued: number;
}

/** Options of one {@link Subscriber}. */
export interface SubscriberOptions {
  /** Whether a live event belongs to this subscription (the filter's selector, through mingo). */
  matches: (doc: EventDocument) => boolean;
  /** Events that may wait for the consumer (queued live, or held during a replay) when new ones arrive. */
  bufferLimit: number;
  /** Bytes waiting in the connection's send buffer, when there is a connection. */
  pendingBytes?: () => number;
  /** Bound of {@link pendingBytes}. */
  pendingBytesLimit: number;
  counters: SubscriberCounters;
  /** Called once when the subscriber ends, however it ends. */
  onEnd: () => void;
  /** Clock for the seam memory (ms). */
  now?: () => number;
}

/**
 * One subscription's stream of events: an async iterator that graphql-js pulls (through
 * graphql-ws, one event at a time, each after the previous was written to the socket).
 *
 * * Live events are queued; a subscriber that still holds more than `bufferLimit` of them when
 *   new ones arrive is ended with a {@link SlowConsumerError} and its queue dropped, so a stalled
 *   consumer costs bounded memory (the bound plus one batch).
 * * With a replay (resuming `after` an event), the stored matches are read from the store as the
 *   consumer pulls them, while live events arriving meanwhile are buffered (same bound). When the
 *   replay ends, the buffered events the replay did not already hand out follow, then live ones.
 *   The subscriber listens to the bus before the replay starts, so nothing falls between the two;
 *   ids are compared both ways at the seam, so nothing comes twice.
 * * `return()` (client completes, socket closes) releases everything at once, even while a
 *   `next()` is waiting, which an async generator could not do.
 */
export class Subscriber implements AsyncIterableIterator<EventDocument> {
  private queue: EventDocument[] = [];
  private head = 0;
  private replay: AsyncIterator<EventDocument> | null = null;
  /** Live events that arrived during the replay, in arrival order. */
  private held: EventDocument[] = [];
  /** Ids in {@link held} the replay has not handed out (yet). */
  private heldIds = new Set<string>();
  /** Ids the replay handed out recently, with when (see {@link SEAM_MEMORY_MS}). */
  private replayed = new Map<string, number>();
  private waiter: (() => void) | null = null;
  private failure: Error | null = null;
  private ended = false;
  private unsubscribe: (() => void) | null = null;
  private readonly now: () => number;

  constructor(private readonly options: SubscriberOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  /** Starts listening to the bus. Call before {@link replayFrom}, so nothing is missed. */
  attach(bus: LiveBus): this {
    if (!this.ended) this.unsubscribe = bus.subscribe((docs) => this.push(docs));
    return this;
  }

  /** Hands out these stored events first (already in receipt order), then the live ones. */
  replayFrom(stored: AsyncIterable<EventDocument>): this {
    if (!this.ended) this.replay = stored[Symbol.asyncIterator]();
    return this;
  }

  /** Whether stored events are still being replayed. */
  get replaying(): boolean {
    return this.replay !== null;
  }

  /** Events waiting for the consumer. */
  get queued(): number {
    return this.queue.length - this.head + this.held.length;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<EventDocument>> {
    for (;;) {
      if (this.failure) {
        const failure = this.failure;
        this.failure = null;
        throw failure;
      }
      if (this.ended) return { done: true, value: undefined };
      if (this.replay) {
        let step: IteratorResult<EventDocument>;
        try {
          step = await this.replay.next();
        } catch (error) {
          this.release();
          throw error;
        }
        if (this.ended || this.failure) continue;
        if (step.done) {
          this.endReplay();
          continue;
        }
        const doc = step.value;
        // Arrived live during the replay and now reached by it: hand it out here, in order, once.
        this.heldIds.delete(doc._id);
        const at = this.now();
        this.forgetReplayedBefore(at - SEAM_MEMORY_MS);
        this.replayed.set(doc._id, at);
        return { done: false, value: doc };
      }
      if (this.head < this.queue.length) {
        const doc = this.queue[this.head]!;
        this.head += 1;
        if (this.head === this.queue.length) {
          this.queue = [];
          this.head = 0;
        } else if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
          // A consumer that never quite catches up must not keep what it already took alive.
          this.queue = this.queue.slice(this.head);
          this.head = 0;
        }
        return { done: false, value: doc };
      }
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  /**
   * The live events queued now, in order, taken out of the queue at once: for a consumer that
   * writes them without waiting (the graphql-ws door), so a batch costs one wait, not one per
   * event. Nothing during a replay (its events come through {@link next}), after the end, or once
   * the subscriber failed ({@link next} throws). The bounds are unchanged: what is taken sits in
   * the socket's buffer, which `pendingBytes` measures.
   */
  takeReady(): EventDocument[] {
    if (this.ended || this.failure || this.replay || this.head >= this.queue.length) return [];
    const ready = this.head === 0 ? this.queue : this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    return ready;
  }

  /** The consumer is done (client `complete`, socket closed): release everything now. */
  async return(): Promise<IteratorResult<EventDocument>> {
    this.release();
    return { done: true, value: undefined };
  }

  async throw(error?: unknown): Promise<IteratorResult<EventDocument>> {
    this.release();
    throw error;
  }

  /** Ends the subscriber from the server side (shutdown). */
  end(): void {
    this.release();
  }

  /**
   * A batch from the bus. The bound applies to what is still waiting when new events arrive: a
   * subscriber that has caught up takes any batch whole (one `logEvents` call may carry
   * `MAX_BATCH_SIZE` events at once), one still holding more than `bufferLimit` is too slow. So a
   * subscriber holds at most `bufferLimit` events plus one batch.
   */
  private push(docs: readonly EventDocument[]): void {
    if (this.ended) return;
    const fresh = docs.filter((doc) => this.options.matches(doc) && !this.wasReplayed(doc._id));
    if (fresh.length === 0) return;
    const { bufferLimit, pendingBytesLimit } = this.options;
    if (this.queued > bufferLimit) {
      this.overflow(`more than ${bufferLimit} events waiting`);
      return;
    }
    const bytes = this.options.pendingBytes?.() ?? 0;
    if (bytes > pendingBytesLimit) {
      this.overflow(`more than ${pendingBytesLimit} bytes waiting in the socket`);
      return;
    }
    if (this.replay) {
      for (const doc of fresh) {
        this.held.push(doc);
        this.heldIds.add(doc._id);
      }
    } else {
      for (const doc of fresh) this.queue.push(doc);
    }
    const queued = this.queued;
    if (queued > this.options.counters.peakQueued) this.options.counters.peakQueued = queued;
    this.wake();
  }

  /** Whether the replay handed this id out recently. */
  private wasReplayed(id: string): boolean {
    if (this.replayed.size === 0) return false;
    this.forgetReplayedBefore(this.now() - SEAM_MEMORY_MS);
    return this.replayed.has(id);
  }

  /** Forgets replayed ids handed out before `horizon` (the map is in hand-out order). */
  private forgetReplayedBefore(horizon: number): void {
    for (const [id, at] of this.replayed) {
      if (at >= horizon) return;
      this.replayed.delete(id);
    }
  }

  private endReplay(): void {
    this.replay = null;
    // Live events the replay did not reach were stored after it read past them: they follow now.
    this.queue = this.held.filter((doc) => this.heldIds.has(doc._id));
    this.head = 0;
    this.held = [];
    this.heldIds = new Set();
  }

  private overflow(reason: string): void {
    this.options.counters.slowConsumersEnded += 1;
    this.failure = new SlowConsumerError(reason);
    this.release();
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }

  private release(): void {
    if (this.ended) return;
    this.ended = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.queue = [];
    this.head = 0;
    this.held = [];
    this.heldIds = new Set();
    this.replayed = new Map();
    const replay = this.replay;
    this.replay = null;
    // The replay may be mid-read; its generator finishes that read, then closes.
    replay?.return?.().catch(() => undefined);
    this.wake();
    this.options.onEnd();
  }
}
