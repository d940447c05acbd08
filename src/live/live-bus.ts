import type { EventDocument } from '../store/event-document';

/** Receives batches of newly stored events, in receipt order within a batch. */
export type BusListener = (docs: readonly EventDocument[]) => void;

/**
 * Carries newly stored events to the live subscribers of every server instance. Publishing never
 * blocks or throws: ingest must not wait for, or fail because of, its live audience.
 */
export interface LiveBus {
  /** Connects (and, across instances, subscribes) before the server serves. Idempotent. */
  start(): Promise<void>;
  /** Delivers a batch to every listener, here and on the other instances. */
  publish(docs: readonly EventDocument[]): void;
  /** Adds a listener for the events of every instance; returns the function that removes it. */
  subscribe(listener: BusListener): () => void;
  /** Listeners currently attached (a closed WebSocket leaves none behind). */
  readonly listenerCount: number;
  /** Detaches everything and releases connections. Idempotent. */
  close(): Promise<void>;
}

/**
 * The listeners of one process, with delivery decoupled from the publisher: batches are queued and
 * handed out on a later turn of the event loop, in publish order, so a mutation's response is not
 * held up by matching its events against a thousand subscriptions.
 */
export class LocalFanout {
  private readonly listeners = new Set<BusListener>();
  private queue: (readonly EventDocument[])[] = [];
  private scheduled = false;

  constructor(private readonly onListenerError: (error: unknown) => void) {}

  get listenerCount(): number {
    return this.listeners.size;
  }

  subscribe(listener: BusListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  deliver(docs: readonly EventDocument[]): void {
    if (docs.length === 0) return;
    this.queue.push(docs);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  clear(): void {
    this.listeners.clear();
    this.queue = [];
  }

  private drain(): void {
    this.scheduled = false;
    const batches = this.queue;
    this.queue = [];
    for (const docs of batches) {
      // A snapshot: listeners may unsubscribe (an overflowing subscriber does) while we iterate.
      for (const listener of [...this.listeners]) {
        try {
          listener(docs);
        } catch (error) {
          this.onListenerError(error);
        }
      }
    }
  }
}

/** The bus of a single instance: events stay in this process. */
export class InProcessLiveBus implements LiveBus {
  private readonly fanout: LocalFanout;

  constructor(onListenerError: (error: unknown) => void) {
    this.fanout = new LocalFanout(onListenerError);
  }

  get listenerCount(): number {
    return this.fanout.listenerCount;
  }

  async start(): Promise<void> {}

  publish(docs: readonly EventDocument[]): void {
    this.fanout.deliver(docs);
  }

  subscribe(listener: BusListener): () => void {
    return this.fanout.subscribe(listener);
  }

  async close(): Promise<void> {
    this.fanout.clear();
  }
}
