import type { EventDocument, EventSourceDocument } from './event-document';

/** A MongoDB query selector over {@link EventDocument} (dates as `Date` objects). */
export type Selector = Record<string, unknown>;

/**
 * The fields a page can be ordered by; ties are broken by `_id` in the same direction.
 * `archived_at` only with a selector that matches archived events alone (it is null elsewhere):
 * the purge walks archived events in that order, along the (archived, archived_at) index.
 */
export type SortField = 'event_timestamp' | 'received_at' | 'archived_at';

/** Order of a read: a field, its direction, and an optional keyset position to continue after. */
export interface ReadOrder {
  field: SortField;
  /** 1 ascending, -1 descending. */
  direction: 1 | -1;
  /** Continue strictly after this (field value, id) position, in the order's direction. */
  after?: { value: Date; id: string };
}

/** Options of {@link EventStore.find}. */
export interface FindOptions {
  order: ReadOrder;
  limit: number;
  skip?: number;
}

/** Options of {@link EventStore.count}. */
export interface CountOptions {
  /** Stop counting at this many (a positive integer). */
  limit?: number;
}

/** Outcome of a bulk insert. Duplicate ids are skipped, never fatal. */
export interface InsertResult {
  insertedIds: string[];
  duplicateIds: string[];
}

/** Outcome of {@link EventStore.replaceAll} and {@link EventStore.mergeAll}: `insertedCount + skippedCount` documents were yielded. */
export interface ReplaceResult {
  insertedCount: number;
  /** Yielded documents not stored: ids repeated among them, or stored while the replace ran. */
  skippedCount: number;
}

/** {@link EventStore.replaceAll} refused: another server instance is replacing this database's events. */
export class ReplaceInProgressError extends Error {
  constructor() {
    super('Another server instance is restoring a backup into this database; try again when it is done');
    this.name = 'ReplaceInProgressError';
  }
}

/** A stored field events can be counted by (see {@link EventStore.countGroups}). */
export type GroupField = 'event_type' | 'log_level' | `source.${keyof EventSourceDocument}`;

/** Options of {@link EventStore.countGroups}. */
export interface CountGroupsOptions {
  /** Stored field whose values form the groups; null counts every event in one group. */
  groupField: GroupField | null;
  /**
   * Increasing instants (epoch ms) `b0 < b1 < … < bn`: bucket `i` counts the events with
   * `bi <= event_timestamp < b(i+1)`; events outside `[b0, bn)` are not counted. Absent: no buckets.
   */
  bucketBoundaries?: readonly number[];
}

/** One group of {@link EventStore.countGroups}: a field value (null when absent), a bucket index, a count. */
export interface GroupCount {
  key: string | number | boolean | null;
  /** Index into the buckets, or null when no boundaries were given. */
  bucket: number | null;
  count: number;
}

/** What a store says about its database. */
export interface StorePing {
  connected: boolean;
  engine: 'mongodb' | 'sqlite';
  version: string | null;
  latencyMs: number | null;
}

/** An event as {@link EventStore.readTyped} gives it: what the utilization reports read. */
export interface TypedEventRow {
  id: string;
  /** The stored `event_type`. */
  eventType: string;
  /**
   * For a `log*` event, its `event_data.event_type` trimmed, lower-cased and without an
   * `eventtype.` prefix when that is plain ASCII (`a-z`, `_`, `.`), as the store's index holds it;
   * else null (the caller reads the payload).
   */
  namedType: string | null;
  /** `event_timestamp` in epoch milliseconds. */
  t: number;
  source: EventSourceDocument;
  /** `event_data`. */
  data: unknown;
}

/**
 * Where events live. Two implementations (MongoDB through Typegoose, SQLite through
 * better-sqlite3) pass one contract test suite; everything above this interface is written once.
 * Selectors are MongoDB query selectors over the stored document shape; a store must answer every
 * selector the way MongoDB would.
 */
export interface EventStore {
  readonly engine: 'mongodb' | 'sqlite';
  /** Connects and creates indexes. Idempotent. */
  init(): Promise<void>;
  /** Releases connections and files. Idempotent. */
  close(): Promise<void>;
  /** Never throws: an unreachable database reports `connected: false`. */
  ping(): Promise<StorePing>;
  /** Inserts documents, skipping ids that exist (also repeats inside the batch). */
  insertMany(docs: readonly EventDocument[]): Promise<InsertResult>;
  /** The documents with these ids, in no particular order; missing ids are left out. */
  findByIds(ids: readonly string[]): Promise<EventDocument[]>;
  /** Matching documents in the given order. */
  find(selector: Selector, options: FindOptions): Promise<EventDocument[]>;
  /** Whether any document matches. */
  exists(selector: Selector): Promise<boolean>;
  /**
   * Number of matching documents; with `limit`, counting stops there (a result equal to `limit`
   * means "at least that many"), so a broad or unindexed selector reads only that far.
   */
  count(selector: Selector, options?: CountOptions): Promise<number>;
  /**
   * How a read of several selectors at once (the reports': one per event type) is cheapest, for
   * callers that can choose. `merge` (also when absent): one {@link stream} per selector, merged
   * in order, each an index range (SQLite). `or`: one {@link stream} of `{ $or: selectors }`, one
   * query and one sort (MongoDB; FerretDB v1 reads the whole collection for every query, so n
   * selectors would be n full reads). The two differ only for a document that matches several
   * selectors: a merge hands it out once per selector, `$or` once.
   */
  readonly multiSelectorRead?: 'merge' | 'or';
  /**
   * Every matching document in the given order, read in chunks of `chunkSize` (default 1000) so
   * memory stays flat however many match (SQLite: a keyset query per chunk; MongoDB: one query,
   * whose cursor is read a batch at a time); the event loop gets a turn between chunks.
   * With `projection`, only those fields (and `_id` and the order field) are read; the others
   * hold their defaults (MADSci's: level 20, `{}`, null, false; `''` search text; `event_timestamp` for `received_at`).
   */
  stream(
    selector: Selector,
    options: { order: ReadOrder; chunkSize?: number; projection?: readonly (keyof EventDocument)[] },
  ): AsyncIterable<EventDocument>;
  /**
   * Optional read for the utilization reports (docs/performance.md#utilization-reports): events
   * whose effective type (docs/madsci-compatibility.md#d1-effective-event-type) may be one of
   * `types` (a superset: the caller checks each), with `from <= event_timestamp <= to` when a
   * window is given, in (event_timestamp, _id) order, in chunks. A store without it is read
   * through {@link stream}.
   */
  readTyped?(types: readonly string[], window?: { from: number; to: number }): AsyncIterable<TypedEventRow[]>;
  /** Ids of matching documents in the given order (no payload read). */
  findIds(selector: Selector, options: FindOptions): Promise<string[]>;
  /**
   * Archives (`archivedAt` a date) or unarchives (`null`) the documents with these ids whose state
   * differs, setting `archived` and `archived_at` together. Returns how many changed.
   */
  setArchived(ids: readonly string[], archivedAt: Date | null): Promise<number>;
  /** Deletes matching documents; returns how many. */
  deleteMany(selector: Selector): Promise<number>;
  /**
   * Replaces every stored event by the documents `batches` yields, atomically for the callers of
   * this store (REPLACE restores):
   * * Events stored from the moment of the call on are captured; the documents are loaded
   *   beside the events (a staging table or collection) while the events stay as they are,
   *   readable and writable.
   * * Once `batches` is exhausted, one swap makes the store hold the loaded documents (the first
   *   of repeated ids) plus every captured event still stored; an id in both keeps the captured
   *   event (stored while the replace ran, so acknowledged to someone) and counts the loaded one
   *   as skipped.
   * * If `batches` throws, or the database fails, before or during the swap, nothing stored
   *   changed; the staging data is dropped (or, after a crash, at the next {@link init} or
   *   replace) and the error is rethrown.
   * @returns documents yielded and now stored, and those skipped (repeated or captured ids).
   * @throws ReplaceInProgressError when another instance is replacing (MongoDB).
   */
  replaceAll(batches: AsyncIterable<readonly EventDocument[]>): Promise<ReplaceResult>;
  /**
   * Inserts the documents `batches` yields whose ids are not stored (MERGE restores), all or
   * nothing: they are loaded beside the events, which stay as they are (readable and writable),
   * and one swap adds them once `batches` is exhausted. An id stored by then, or repeated among
   * the documents (the first is kept), counts as skipped. If `batches` throws, or the database
   * fails, before or during the swap, nothing stored changed; the staging data is dropped (or,
   * after a crash, at the next {@link init}) and the error is rethrown. Optional: a store without
   * it is merged into by {@link insertMany} per batch.
   */
  mergeAll?(batches: AsyncIterable<readonly EventDocument[]>): Promise<ReplaceResult>;
  /**
   * Counts matching events per value of a field and, optionally, per time bucket, in the
   * database (SQL GROUP BY; MongoDB $match/$group). Groups with no events are not returned.
   */
  countGroups(selector: Selector, options: CountGroupsOptions): Promise<GroupCount[]>;
  /**
   * Takes the named lease for `owner` until `expiresAt` if it is free, expired at `now`, or held
   * by `owner` already (which renews it). Atomic across every process sharing the database: of
   * concurrent callers at most one gets a lease. Leases live beside the events (a `locks`
   * collection or table). Returns whether `owner` now holds the lease.
   */
  acquireLease(name: string, owner: string, now: Date, expiresAt: Date): Promise<boolean>;
  /** Gives the named lease up if `owner` holds it. */
  releaseLease(name: string, owner: string): Promise<void>;
}
