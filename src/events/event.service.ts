import type { Config } from '../core/config';
import { BadUserInputError } from '../core/errors';
import { activeTraceIds } from '../core/tracing';
import type { EventDocument } from '../store/event-document';
import type { EventStore, ReadOrder, Selector } from '../store/event-store';
import { decodeCursor, encodeCursor, type CursorPosition } from './cursor';
import { EventOrder } from './event.enums';
import { buildEventDocument } from './event.document';
import { filterToSelector } from './event-filter';
import type { EventFilter, EventInput } from './event.types';
import { sanitizeSelector } from './selector';
import { ReceiptOrder } from './receipt-order';

/** A page of a cursor connection, before GraphQL shapes it. */
export interface ConnectionSlice {
  edges: { cursor: string; node: EventDocument }[];
  /** `hasPreviousPage` costs a query, so it is a function the caller runs only when needed. */
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: () => Promise<boolean>;
    startCursor: string | null;
    endCursor: string | null;
  };
  /** The selector the page was read with, for a lazily counted total. */
  selector: Selector;
}

/** Outcome of a batch log. */
export interface LogEventsOutcome {
  insertedCount: number;
  duplicateCount: number;
  /** In the order sent; a duplicate id yields the event stored earlier. */
  events: EventDocument[];
}

/**
 * Told of the events one log call newly stored, in receipt order (`received_at`, then `_id`),
 * calls in the order they were received (see {@link ReceiptOrder}): after the store acknowledged
 * the insert and every earlier call was announced. It must not block or throw.
 */
export type LoggedListener = (docs: readonly EventDocument[]) => void;

/**
 * Logging and reading events. Knows nothing of GraphQL or HTTP: resolvers and REST routes call
 * it alike. Every argument is checked here; a rejected call stores nothing.
 */
export class EventService {
  private readonly loggedListeners = new Set<LoggedListener>();
  private readonly receipts: ReceiptOrder;

  constructor(
    private readonly store: EventStore,
    private readonly limits: Config['limits'],
    clock: () => Date = () => new Date(),
  ) {
    this.receipts = new ReceiptOrder(clock);
  }

  /** Logs one event. Idempotent on id: an existing id returns the stored event unchanged. */
  async logEvent(input: EventInput): Promise<EventDocument> {
    const outcome = await this.logEvents([input], 'event');
    return outcome.events[0]!;
  }

  /**
   * Logs a batch (at most `maxBatchSize`). Duplicate ids, against the store or inside the batch,
   * are counted and skipped, never fatal. Either every event is valid or nothing is stored.
   */
  async logEvents(inputs: readonly EventInput[], path = 'events'): Promise<LogEventsOutcome> {
    if (inputs.length > this.limits.maxBatchSize) {
      throw new BadUserInputError(
        `A batch may hold at most ${this.limits.maxBatchSize} events, got ${inputs.length}`,
        path,
      );
    }
    // Inside a traced request, events that carry no trace context get the request's span
    // (docs/opentelemetry.md#events-and-traces), so a dashboard can go from an event to its trace.
    const trace = activeTraceIds();
    if (trace) {
      inputs = inputs.map((input) =>
        input.traceId == null && input.spanId == null
          ? { ...input, traceId: trace.traceId, spanId: trace.spanId }
          : input,
      );
    }
    const turn = this.receipts.take();
    let docs: EventDocument[];
    let insertedIds: string[];
    let duplicateIds: string[];
    try {
      docs = inputs.map((input, i) =>
        buildEventDocument(input, turn.receivedAt, inputs.length === 1 && path === 'event' ? path : `${path}[${i}]`),
      );
      ({ insertedIds, duplicateIds } = await this.store.insertMany(docs));
    } catch (error) {
      turn.skip();
      throw error;
    }
    const inserted = new Set(insertedIds);
    turn.announce(() => this.announce(docs, inserted));
    const stored = duplicateIds.length > 0 ? await this.findByIds(duplicateIds) : [];
    const storedById = new Map(stored.map((doc) => [doc._id, doc]));
    // The first occurrence of an inserted id is the one that was stored.
    const firstSeen = new Set<string>();
    const events = docs.map((doc) => {
      if (inserted.has(doc._id) && !firstSeen.has(doc._id)) {
        firstSeen.add(doc._id);
        return doc;
      }
      return storedById.get(doc._id) ?? docs.find((d) => d._id === doc._id)!;
    });
    return { insertedCount: insertedIds.length, duplicateCount: docs.length - insertedIds.length, events };
  }

  /**
   * Registers a listener for newly stored events (live subscriptions, alerts); duplicates are
   * never announced. Returns the function that removes it.
   */
  onLogged(listener: LoggedListener): () => void {
    this.loggedListeners.add(listener);
    return () => this.loggedListeners.delete(listener);
  }

  /** Tells the listeners of the first stored occurrence of each inserted id, in receipt order. */
  private announce(docs: readonly EventDocument[], inserted: ReadonlySet<string>): void {
    if (this.loggedListeners.size === 0 || inserted.size === 0) return;
    const seen = new Set<string>();
    const fresh = docs.filter((doc) => inserted.has(doc._id) && !seen.has(doc._id) && seen.add(doc._id) !== undefined);
    // One call shares one received_at, so receipt order is id order (client ids need not sort).
    fresh.sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0));
    for (const listener of this.loggedListeners) {
      try {
        listener(fresh);
      } catch {
        // The events are stored: a listener's failure (it logs its own) must not fail the call.
      }
    }
  }

  /** The events with these ids (archived included), in no particular order. */
  findByIds(ids: readonly string[]): Promise<EventDocument[]> {
    this.checkIdCount(ids);
    return this.store.findByIds(ids);
  }

  /** @throws BadUserInputError when more ids are asked for than a page may hold. */
  checkIdCount(ids: readonly string[]): void {
    if (ids.length > this.limits.maxPageSize) {
      throw new BadUserInputError(`At most ${this.limits.maxPageSize} ids at once, got ${ids.length}`, 'ids');
    }
  }

  /** The selector a filter means (see {@link filterToSelector}). */
  selectorFor(filter: EventFilter | null | undefined): Selector {
    return filterToSelector(filter, this.limits.maxFilterDepth);
  }

  /**
   * A page of a cursor connection ordered by (eventTimestamp, id). Keyset pagination: events
   * inserted meanwhile never shift a page, so a walk sees each pre-existing event exactly once.
   */
  async connection(args: {
    filter?: EventFilter | null;
    first?: number | null;
    after?: string | null;
    orderBy?: EventOrder | null;
  }): Promise<ConnectionSlice> {
    const first = this.pageSize(args.first, 'first');
    const selector = this.selectorFor(args.filter);
    const direction = args.orderBy === EventOrder.OLDEST_FIRST ? 1 : -1;
    const after = args.after != null ? decodeCursor(args.after) : undefined;
    const order: ReadOrder = { field: 'event_timestamp', direction, ...(after ? { after } : {}) };
    const rows = first === 0 && !after ? [] : await this.store.find(selector, { order, limit: first + 1 });
    const nodes = rows.slice(0, first);
    const edges = nodes.map((node) => ({ cursor: encodeCursor({ value: node.event_timestamp, id: node._id }), node }));
    // Something precedes the cursor when a matching event sorts at or before it.
    return {
      edges,
      pageInfo: {
        hasNextPage: rows.length > first,
        hasPreviousPage: async () => (after ? this.anyAtOrBefore(selector, { ...order, after }) : false),
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
      selector,
    };
  }

  /** Whether a matching event sorts at or before the order's `after` position. */
  private async anyAtOrBefore(selector: Selector, order: ReadOrder & { after: CursorPosition }): Promise<boolean> {
    const reversed: ReadOrder = { field: order.field, direction: order.direction === 1 ? -1 : 1, after: order.after };
    if ((await this.store.find(selector, { order: reversed, limit: 1 })).length > 0) return true;
    return this.store.exists({ $and: [selector, { _id: order.after.id }] });
  }

  /** An offset page, newest first. */
  async page(args: {
    filter?: EventFilter | null;
    limit?: number | null;
    offset?: number | null;
    order?: ReadOrder;
  }): Promise<{ items: EventDocument[]; limit: number; offset: number; selector: Selector }> {
    const limit = this.pageSize(args.limit, 'limit');
    const offset = this.offset(args.offset);
    const selector = this.selectorFor(args.filter);
    const order = args.order ?? { field: 'event_timestamp', direction: -1 };
    const items = limit === 0 ? [] : await this.store.find(selector, { order, limit, skip: offset });
    return { items, limit, offset, selector };
  }

  /**
   * Number of events a selector matches; with `limit`, counted only up to it (docs/performance.md#capped-counts).
   * @throws BadUserInputError (field `limit`) unless `limit` is a positive integer.
   */
  count(selector: Selector, limit?: number | null): Promise<number> {
    if (limit === null || limit === undefined) return this.store.count(selector);
    if (!Number.isInteger(limit) || limit < 1)
      throw new BadUserInputError('totalCount limit must be a positive integer', 'limit');
    return this.store.count(selector, { limit });
  }

  /**
   * MADSci's raw selector, made safe (see {@link sanitizeSelector}); archived events included,
   * newest first.
   */
  async query(args: { selector: unknown; limit?: number | null; offset?: number | null }): Promise<EventDocument[]> {
    const limit = this.pageSize(args.limit, 'limit');
    const offset = this.offset(args.offset);
    const selector = sanitizeSelector(args.selector, this.limits.maxSelectorDepth);
    if (limit === 0) return [];
    return this.store.find(selector, { order: { field: 'event_timestamp', direction: -1 }, limit, skip: offset });
  }

  private pageSize(value: number | null | undefined, field: string): number {
    const size = value ?? 100;
    if (!Number.isInteger(size) || size < 0 || size > this.limits.maxPageSize) {
      throw new BadUserInputError(`${field} must be between 0 and ${this.limits.maxPageSize}, got ${size}`, field);
    }
    return size;
  }

  private offset(value: number | null | undefined): number {
    const offset = value ?? 0;
    if (!Number.isInteger(offset) || offset < 0 || offset > 10_000_000) {
      throw new BadUserInputError(`offset must be between 0 and 10000000, got ${offset}`, 'offset');
    }
    return offset;
  }
}
