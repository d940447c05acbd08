import { randomUUID } from 'node:crypto';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { Redis } from 'ioredis';
import type { Logger } from '../core/logger';
import type { EventDocument } from '../store/event-document';
import { LocalFanout, type BusListener, type LiveBus } from './live-bus';

/** Largest serialised message; bigger batches are split (Redis cuts off pub/sub clients whose output buffer passes 8 MB). */
const MAX_MESSAGE_BYTES = 512 * 1024;

/** What travels through Redis: part `p` of `n` of batch `b` of an instance. */
interface BusMessage {
  /** Origin instance; an instance skips its own messages (it delivered them locally already). */
  o: string;
  /** Batch number, per origin. */
  b: number;
  /** Part index and part count: a big batch travels in parts and is delivered whole. */
  p: number;
  n: number;
  d: EventDocument[];
}

/**
 * Reads a message back into documents with real dates: JSON turned `event_timestamp`,
 * `received_at` and `archived_at` into ISO strings, and filters compare them as instants.
 */
export function parseBusMessage(text: string): BusMessage {
  const message = JSON.parse(text) as Omit<BusMessage, 'd'> & {
    d: (Omit<EventDocument, 'event_timestamp' | 'received_at' | 'archived_at'> & Record<string, unknown>)[];
  };
  return {
    ...message,
    d: message.d.map((doc) => ({
      ...doc,
      event_timestamp: new Date(doc.event_timestamp as string),
      received_at: new Date(doc.received_at as string),
      archived_at: doc.archived_at == null ? null : new Date(doc.archived_at as string),
    })),
  };
}

/** Serialises batch `batch` as one or more messages of at most about {@link MAX_MESSAGE_BYTES}. */
export function serializeBatch(origin: string, batch: number, docs: readonly EventDocument[]): string[] {
  const groups: string[][] = [];
  let group: string[] = [];
  let size = 0;
  for (const doc of docs) {
    const text = JSON.stringify(doc);
    if (group.length > 0 && size + text.length > MAX_MESSAGE_BYTES) {
      groups.push(group);
      group = [];
      size = 0;
    }
    group.push(text);
    size += text.length + 1;
  }
  if (group.length > 0) groups.push(group);
  return groups.map(
    (texts, p) => `{"o":${JSON.stringify(origin)},"b":${batch},"p":${p},"n":${groups.length},"d":[${texts.join(',')}]}`,
  );
}

/**
 * The bus of a multi-instance deployment: events are delivered to this instance's listeners
 * directly and published on a Redis pub/sub channel for the others (through
 * `@graphql-yoga/redis-event-target` on ioredis). Redis pub/sub is at-most-once: an event
 * published while an instance is disconnected does not reach that instance's live subscribers
 * (a client that reconnects with `after` replays it from the store).
 */
export class RedisLiveBus implements LiveBus {
  private readonly instanceId = randomUUID();
  private readonly fanout: LocalFanout;
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private started: Promise<void> | null = null;
  private closed = false;
  private batches = 0;
  /** Batches arriving in parts, per origin (parts of one publisher arrive in order). */
  private readonly partial = new Map<string, { batch: number; next: number; docs: EventDocument[] }>();
  private readonly onMessage = (event: CustomEvent<BusMessage | null>) => {
    const message = event.detail;
    if (!message || message.o === this.instanceId || this.closed) return;
    if (message.n === 1) {
      this.fanout.deliver(message.d);
      return;
    }
    // Delivered whole, so a subscriber's bound sees one batch, as it does on the publishing instance.
    let entry = this.partial.get(message.o);
    if (message.p === 0) {
      entry = { batch: message.b, next: 0, docs: [] };
      this.partial.set(message.o, entry);
    }
    if (!entry || entry.batch !== message.b || entry.next !== message.p) {
      this.partial.delete(message.o);
      this.logger.warn(
        { origin: message.o, batch: message.b },
        'dropped an incomplete batch of live events from Redis',
      );
      return;
    }
    entry.docs.push(...message.d);
    entry.next += 1;
    if (entry.next === message.n) {
      this.partial.delete(message.o);
      this.fanout.deliver(entry.docs);
    }
  };

  constructor(
    url: string,
    private readonly channel: string,
    private readonly logger: Logger,
  ) {
    this.fanout = new LocalFanout((error) => logger.error({ err: error }, 'live subscriber failed on an event'));
    const options = { lazyConnect: true, maxRetriesPerRequest: 3, connectionName: `lab-events:${this.instanceId}` };
    this.publisher = new Redis(url, options);
    this.subscriber = new Redis(url, options);
    for (const [role, client] of [
      ['publisher', this.publisher],
      ['subscriber', this.subscriber],
    ] as const) {
      client.on('error', (error: Error) => logger.warn({ err: error, role }, 'Redis connection error (live events)'));
    }
  }

  get listenerCount(): number {
    return this.fanout.listenerCount;
  }

  start(): Promise<void> {
    return (this.started ??= (async () => {
      await Promise.all([this.publisher.connect(), this.subscriber.connect()]);
      const target = createRedisEventTarget<CustomEvent<BusMessage | null>>({
        publishClient: this.publisher,
        subscribeClient: this.subscriber,
        serializer: { stringify: JSON.stringify, parse: parseBusMessage },
      });
      target.addEventListener(this.channel, this.onMessage);
      // The event target subscribes without waiting; subscribing again (a no-op for Redis) and
      // awaiting it means the channel is live before the server takes its first subscriber.
      await this.subscriber.subscribe(this.channel);
    })());
  }

  publish(docs: readonly EventDocument[]): void {
    if (docs.length === 0 || this.closed) return;
    this.fanout.deliver(docs);
    // Published here rather than through the target's dispatchEvent, which drops the promise:
    // a failed publish must be logged, not become an unhandled rejection.
    this.batches += 1;
    for (const message of serializeBatch(this.instanceId, this.batches, docs)) {
      this.publisher.publish(this.channel, message).catch((error: unknown) => {
        this.logger.warn({ err: error, events: docs.length }, 'could not publish live events to Redis');
      });
    }
  }

  subscribe(listener: BusListener): () => void {
    return this.fanout.subscribe(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fanout.clear();
    await Promise.all([
      this.publisher.quit().catch(() => this.publisher.disconnect()),
      this.subscriber.quit().catch(() => this.subscriber.disconnect()),
    ]);
  }
}
