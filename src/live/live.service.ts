import { traced } from '../core/tracing';
import { Query } from 'mingo';
import type { Config } from '../core/config';
import type { EventFilter } from '../events/event.types';
import type { EventService } from '../events/event.service';
import { BadUserInputError } from '../core/errors';
import type { EventDocument } from '../store/event-document';
import type { EventStore, ReadOrder, Selector } from '../store/event-store';
import { alertSelector } from './alert-selector';
import type { LiveBus } from './live-bus';
import { Subscriber, type SubscriberCounters } from './subscriber';

/** What a subscription knows of the WebSocket it runs on. */
export interface LiveConnection {
  /** Bytes written to the socket and not yet flushed to the network. */
  bufferedAmount(): number;
}

/** Limits of the live subscriptions. */
export type LiveOptions = Pick<Config['live'], 'subscriberBuffer' | 'subscriberBufferBytes'> & {
  /** `alertRaised` delivers events at or above this level (and every `alert: true`). */
  alertLevel: number;
};

/** A snapshot of the live subscriptions, for tests and the future `/metrics`. */
export interface LiveStats {
  /** Subscriptions open now. */
  subscribers: number;
  /** Listeners attached to the bus (one per open subscription). */
  busListeners: number;
  /** Subscriptions still replaying stored events (resumed with `after`). */
  replaying: number;
  /** Events waiting for their consumers now, over all subscriptions (live events held during a replay included). */
  queuedEvents: number;
  /** Most events one subscriber ever held waiting (at most `subscriberBuffer` plus one batch). */
  peakQueuedEvents: number;
  /** Subscriptions ended because their consumer fell too far behind. */
  slowConsumersEnded: number;
  /** Subscriptions opened since start. */
  subscriptionsOpened: number;
}

/**
 * Live events: every newly stored event is published on the bus (in process, or through Redis
 * across instances) and handed to each subscription whose filter it matches. A filter means
 * exactly what it means to the `events` query: the same selector ({@link EventService.selectorFor}),
 * evaluated with mingo on the stored document shape. Knows nothing of GraphQL.
 */
export class LiveService {
  private readonly subscribers = new Set<Subscriber>();
  private readonly counters: SubscriberCounters = { slowConsumersEnded: 0, peakQueued: 0 };
  private opened = 0;
  private readonly alertSelector: Selector;
  /** One matcher per distinct selector, shared by the subscriptions using it, with how many do. */
  private readonly matchers = new Map<string, { matches: (doc: EventDocument) => boolean; users: number }>();

  constructor(
    private readonly events: EventService,
    private readonly store: EventStore,
    private readonly bus: LiveBus,
    private readonly options: LiveOptions,
  ) {
    this.alertSelector = alertSelector(options.alertLevel);
  }

  /** Connects the bus (Redis: subscribed before the first client arrives). */
  start(): Promise<void> {
    return this.bus.start();
  }

  /** Publishes newly stored events to every instance's subscribers. Never blocks or throws. */
  publish(docs: readonly EventDocument[]): void {
    traced('live publish', { attributes: { 'lab_events.events': docs.length } }, () => this.bus.publish(docs));
  }

  /**
   * Live events matching `filter`, in the order the server received them. With `after` (the id
   * of the last event the caller received), first every stored match received after that event,
   * in receipt order (`received_at`, then `_id`), then live ones: no gap, no duplicate.
   * @throws BadUserInputError for an invalid filter or an unknown `after` id.
   */
  async eventLogged(
    args: { filter?: EventFilter | null; after?: string | null },
    connection?: LiveConnection,
  ): Promise<AsyncIterableIterator<EventDocument>> {
    const selector = this.events.selectorFor(args.filter);
    let order: ReadOrder | null = null;
    if (args.after != null) {
      const [last] = await this.events.findByIds([args.after]);
      if (!last) {
        throw new BadUserInputError(`after: no event has the id ${JSON.stringify(args.after.slice(0, 128))}`, 'after');
      }
      // Receipt order, not event time: an event logged late with an old timestamp is replayed.
      order = { field: 'received_at', direction: 1, after: { value: last.received_at, id: last._id } };
    }
    // Listening first, reading second: whatever is stored after the read starts arrives live.
    const subscriber = this.open(selector, connection);
    if (order) subscriber.replayFrom(this.store.stream(selector, { order }));
    return subscriber;
  }

  /** Live alerts: events with `alert: true` or a level at or above the alert level. */
  alertRaised(connection?: LiveConnection): AsyncIterableIterator<EventDocument> {
    return this.open(this.alertSelector, connection);
  }

  stats(): LiveStats {
    let queued = 0;
    let replaying = 0;
    for (const subscriber of this.subscribers) {
      queued += subscriber.queued;
      if (subscriber.replaying) replaying += 1;
    }
    return {
      subscribers: this.subscribers.size,
      replaying,
      busListeners: this.bus.listenerCount,
      queuedEvents: queued,
      peakQueuedEvents: this.counters.peakQueued,
      slowConsumersEnded: this.counters.slowConsumersEnded,
      subscriptionsOpened: this.opened,
    };
  }

  /** Ends every subscription and closes the bus. Idempotent. */
  async close(): Promise<void> {
    for (const subscriber of [...this.subscribers]) subscriber.end();
    await this.bus.close();
  }

  private open(selector: Selector, connection: LiveConnection | undefined): Subscriber {
    const release = this.useMatcher(selector);
    const subscriber: Subscriber = new Subscriber({
      matches: release.matches,
      bufferLimit: this.options.subscriberBuffer,
      ...(connection ? { pendingBytes: () => connection.bufferedAmount() } : {}),
      pendingBytesLimit: this.options.subscriberBufferBytes,
      counters: this.counters,
      onEnd: () => {
        this.subscribers.delete(subscriber);
        release.done();
      },
    });
    this.subscribers.add(subscriber);
    this.opened += 1;
    return subscriber.attach(this.bus);
  }

  /**
   * The matcher of a selector, shared by every subscription with the same one: an event is tested
   * once per distinct filter (mingo), not once per subscriber; the answer is kept per event object
   * (every listener receives the same objects), so it goes when the event does.
   */
  private useMatcher(selector: Selector): { matches: (doc: EventDocument) => boolean; done: () => void } {
    const key = selectorKey(selector);
    let shared = this.matchers.get(key);
    if (!shared) {
      const query = new Query(selector);
      const answers = new WeakMap<EventDocument, boolean>();
      const matches = (doc: EventDocument) => {
        let answer = answers.get(doc);
        if (answer === undefined) {
          answer = query.test(doc as unknown as Record<string, unknown>);
          answers.set(doc, answer);
        }
        return answer;
      };
      shared = { matches, users: 0 };
      this.matchers.set(key, shared);
    }
    shared.users += 1;
    const entry = shared;
    let done = false;
    return {
      matches: entry.matches,
      done: () => {
        if (done) return;
        done = true;
        entry.users -= 1;
        if (entry.users === 0 && this.matchers.get(key) === entry) this.matchers.delete(key);
      },
    };
  }
}

/** A selector as text, dates and regular expressions tagged (so that no two selectors share one). */
function selectorKey(selector: Selector): string {
  return JSON.stringify(selector, function (this: Record<string, unknown>, key: string, value: unknown) {
    const raw = this[key];
    if (raw instanceof Date) return { $date: raw.getTime() };
    if (raw instanceof RegExp) return { $re: raw.source, $flags: raw.flags };
    return value;
  });
}
