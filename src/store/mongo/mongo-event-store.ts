import { randomBytes } from 'node:crypto';
import { buildSchema } from '@typegoose/typegoose';
import mongoose from 'mongoose';
import type { Collection, Db, IndexDescription, MongoBulkWriteError, WriteConcernSettings } from 'mongodb';
import { normalizeStoredEvent } from '../normalize-event';
import { StoredEvent } from './event.model';
import type { EventDocument } from '../event-document';
import {
  ReplaceInProgressError,
  type CountGroupsOptions,
  type CountOptions,
  type EventStore,
  type FindOptions,
  type GroupCount,
  type InsertResult,
  type ReadOrder,
  type ReplaceResult,
  type Selector,
  type StorePing,
} from '../event-store';
import { SwapGate } from './swap-gate';
import { forStoredShape, toStoredDocument } from './stored-shape';
import { toStoreError } from './mongo-errors';
import { translateStoreErrors } from '../translate-errors';
import { StoreUnavailableError } from '../../core/errors';

/** Where the MongoDB store keeps events. */
export interface MongoStoreOptions {
  uri: string;
  database: string;
  collection: string;
  /** How long to wait for a server before an operation fails (default 5 s). */
  serverSelectionTimeoutMS?: number;
  /**
   * Inserts with `{ w: 'majority', j: true }` (default on): an acknowledged event is on disk on a
   * majority of the replica set, so a failover or a crash of the database does not lose it.
   */
  journaledWrites?: boolean;
  /** Called with index build problems, which are not fatal (as in MADSci). */
  onWarning?: (message: string, error: unknown) => void;
}

const DUPLICATE_KEY = 11000;
/** MongoDB's NotImplemented, FerretDB's answer to `renameCollection` with `dropTarget`. */
const NOT_IMPLEMENTED = 238;
/**
 * A REPLACE (see {@link MongoEventStore.replaceAll}) loads into `<collection>_restore_<token>`;
 * where `dropTarget` is missing, the events are set aside as `<collection>_replaced_<token>`
 * during the swap.
 */
const STAGING_INFIX = '_restore_';
const REPLACED_INFIX = '_replaced_';
/**
 * Events of other instances stored while a replace ran are recognised by receipt time, from the
 * start to this long after the swap began (their clocks may run a little ahead; a stored event
 * far in the future is not one of them).
 */
const OTHER_INSTANCE_CLOCK_SLACK_MS = 60_000;
/**
 * The lease (in `locks`) a replace holds, renewed per batch: one replace at a time per database,
 * and leftovers are cleaned up only by its holder, never under another instance's running replace.
 */
const REPLACE_LEASE = 'replace-all';
const REPLACE_LEASE_MS = 60_000;
/**
 * Largest batch of ids {@link MongoEventStore.findByIds} looks up on FerretDB as parallel `_id`
 * equalities (each a scan inside its database, ~10x cheaper than its `$in`) rather than one `$in`.
 */
const FERRETDB_PARALLEL_IDS = 8;

/**
 * Server error codes of a cursor that is gone: CursorNotFound (an idle timeout, a FerretDB drop),
 * QueryPlanKilled (MongoDB: the collection dropped or renamed under it), CursorKilled.
 */
const LOST_CURSOR = new Set([43, 175, 237]);
/** How often {@link MongoEventStore.stream} reopens a lost cursor in a row before it gives up. */
const MAX_FRUITLESS_REOPENS = 3;

/**
 * Whether `buildInfo` describes FerretDB v1 (`ferretdbVersion` below 2, or `unknown` as a build
 * without release files reports it). Its backends answer every query but an `_id` equality by
 * reading the whole collection, never from a secondary index, while each index costs every insert
 * (the SQLite backend evaluates its JSON key expressions and updates its B-tree): 11 indexes took
 * a third of an insert's time there (docs/performance.md#stored-shape-on-mongodb). So the
 * events' indexes are not built on it. FerretDB v2 and MongoDB use them.
 */
function isFerretDbV1(info: Record<string, unknown>): boolean {
  if (!('ferretdbVersion' in info)) return false;
  const major = /^v?(\d+)\./.exec(String(info.ferretdbVersion))?.[1];
  return major === undefined || Number(major) < 2;
}

/** Whether a driver error means the server lost the cursor (see {@link LOST_CURSOR}). */
const isLostCursor = (error: unknown): boolean => LOST_CURSOR.has((error as { code?: unknown }).code as number);

/** What a call on a closed (or never opened) store throws. */
const closedError = () => new StoreUnavailableError(new Error('The MongoDB store is closed'));

/**
 * The production store: MongoDB (or any wire-compatible server) through the Typegoose model of
 * {@link StoredEvent}. The model defines the schema and indexes; reads and bulk writes go through its
 * driver collection, which is many times faster than mongoose documents for this workload.
 */
export class MongoEventStore implements EventStore {
  readonly engine = 'mongodb' as const;
  /** One query per read: see {@link EventStore.multiSelectorRead} and {@link stream}. */
  readonly multiSelectorRead = 'or' as const;
  private connection: mongoose.Connection | null = null;
  private collection: Collection<EventDocument> | null = null;
  private version: string | null = null;
  /** The model's index definitions, built on a staging collection too; none on FerretDB v1 (see {@link isFerretDbV1}). */
  private indexes: IndexDescription[] = [];
  /** Every operation on the events passes it; a replace closes it for its swap. */
  private readonly gate = new SwapGate();
  /** Ids of events this process stored, one set per running replace. */
  private readonly captures = new Set<Set<string>>();
  /** This store's name as holder of {@link REPLACE_LEASE}. */
  private readonly owner = `store-${process.pid}-${randomBytes(6).toString('hex')}`;
  /** The server is FerretDB (its buildInfo says so): see {@link findByIds}. */
  private ferretDb = false;
  /** The server is FerretDB v1, which uses no secondary index: see {@link isFerretDbV1}. */
  private ferretDbV1 = false;

  constructor(private readonly options: MongoStoreOptions) {}

  async init(): Promise<void> {
    if (this.connection) return;
    const connection = mongoose.createConnection(this.options.uri, {
      dbName: this.options.database,
      serverSelectionTimeoutMS: this.options.serverSelectionTimeoutMS ?? 5000,
      autoIndex: false,
      autoCreate: false,
    });
    await connection.asPromise();
    const model = connection.model('Event', buildSchema(StoredEvent), this.options.collection);
    this.connection = connection;
    this.collection = model.collection as unknown as Collection<EventDocument>;
    try {
      const info = await connection.db!.admin().command({ buildInfo: 1 });
      this.ferretDb = 'ferretdbVersion' in info;
      this.ferretDbV1 = isFerretDbV1(info);
    } catch {
      // Not fatal: lookups then take the MongoDB path, and indexes are built, which is correct everywhere.
    }
    this.indexes = this.ferretDbV1
      ? []
      : model.schema.indexes().map(([key, options]) => ({ ...options, key }) as IndexDescription);
    try {
      // Before the indexes: a replace cut off between its renames leaves no events collection.
      if (await this.takeReplaceLease()) {
        await this.dropRestoreLeftovers();
        await this.releaseLease(REPLACE_LEASE, this.owner);
      }
    } catch (error) {
      this.options.onWarning?.('Could not clean up after an interrupted restore', error);
    }
    try {
      if (this.indexes.length > 0) await model.createIndexes();
    } catch (error) {
      this.options.onWarning?.('Could not create every index on the events collection', error);
    }
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = null;
    this.collection = null;
    await connection?.close();
  }

  private get events(): Collection<EventDocument> {
    if (!this.collection) throw closedError();
    return this.collection;
  }

  async ping(): Promise<StorePing> {
    const started = performance.now();
    try {
      const db = this.connection!.db!;
      await db.command({ ping: 1 });
      const latencyMs = performance.now() - started;
      if (!this.version) {
        const info = await db.admin().command({ buildInfo: 1 });
        this.version = typeof info.version === 'string' ? info.version : null;
      }
      return { connected: true, engine: 'mongodb', version: this.version, latencyMs };
    } catch {
      return { connected: false, engine: 'mongodb', version: this.version, latencyMs: null };
    }
  }

  /**
   * One unordered `insertMany` per call. Not shared between concurrent calls as on SQLite
   * (`src/store/insert-batcher.ts`, docs/performance.md#group-commit): with shared writes, calls made
   * while FerretDB restarted after a crash could wait forever on the driver
   * (test/mongo-fault.test.ts failed in 6 of 15 runs), which one write per call never did.
   */
  async insertMany(docs: readonly EventDocument[]): Promise<InsertResult> {
    if (docs.length === 0) return { insertedIds: [], duplicateIds: [] };
    return this.gate.run(async () => {
      const duplicateIndexes = await insertSkippingDuplicates(this.events, docs, this.writeConcern);
      const insertedIds: string[] = [];
      const duplicateIds: string[] = [];
      docs.forEach((doc, i) => (duplicateIndexes.has(i) ? duplicateIds : insertedIds).push(doc._id));
      for (const capture of this.captures) for (const id of insertedIds) capture.add(id);
      return { insertedIds, duplicateIds };
    });
  }

  /** Journaled majority writes unless turned off (see {@link MongoStoreOptions.journaledWrites}). */
  private get writeConcern(): WriteConcernSettings | undefined {
    return this.options.journaledWrites === false ? undefined : { w: 'majority', j: true };
  }

  /**
   * One id is an equality match on `_id` (`findOne`), which every wire-compatible server answers
   * from its `_id` index or pushes down (FerretDB v1 pushes down `_id` equality but reads and
   * filters the whole collection itself for `$in` or `$or`: 0.8 s against 9 s at 40 000 events).
   * A batch is one `$in` round trip, except on FerretDB, where a small batch is
   * {@link FERRETDB_PARALLEL_IDS} equality lookups at once (see `docs/performance.md`).
   */
  async findByIds(ids: readonly string[]): Promise<EventDocument[]> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return [];
    const docs = await this.gate.run(async () => {
      if (unique.length === 1 || (this.ferretDb && unique.length <= FERRETDB_PARALLEL_IDS)) {
        const found = await Promise.all(unique.map((_id) => this.events.findOne({ _id })));
        return found.filter((doc) => doc !== null);
      }
      return this.events.find({ _id: { $in: unique } }).toArray();
    });
    return docs.map((doc) => normalizeStoredEvent(doc as unknown as Record<string, unknown>));
  }

  async find(selector: Selector, options: FindOptions): Promise<EventDocument[]> {
    const { field, direction } = options.order;
    const cursor = this.events
      .find(withKeyset(selector, options.order))
      .sort({ [field]: direction, _id: direction })
      .skip(options.skip ?? 0)
      .limit(options.limit);
    const docs = await this.gate.run(() => cursor.toArray());
    return docs.map((doc) => normalizeStoredEvent(doc as unknown as Record<string, unknown>));
  }

  async exists(selector: Selector): Promise<boolean> {
    const stored = forStoredShape(selector);
    return (await this.gate.run(() => this.events.findOne(stored, { projection: { _id: 1 } }))) !== null;
  }

  async count(selector: Selector, options: CountOptions = {}): Promise<number> {
    const stored = forStoredShape(selector);
    return this.gate.run(() =>
      this.events.countDocuments(stored, options.limit !== undefined ? { limit: options.limit } : {}),
    );
  }

  /**
   * One query whose cursor the driver reads in batches of `chunkSize` (getMore), not a keyset query
   * per chunk: FerretDB v1 reads and sorts the whole collection for every query (only `_id`
   * equality is pushed down), and MongoDB would sort the remaining matches again for each chunk.
   * The gate is passed per batch, never across a `yield`. A cursor the server loses (an idle
   * timeout, the collection dropped or renamed by a replace's swap: see {@link LOST_CURSOR}) is
   * reopened strictly after the last document handed out, as a keyset query, so every document is
   * handed out once. See `docs/performance.md#reports-on-mongodb`.
   */
  async *stream(
    selector: Selector,
    options: { order: ReadOrder; chunkSize?: number; projection?: readonly (keyof EventDocument)[] },
  ): AsyncIterable<EventDocument> {
    const batchSize = options.chunkSize ?? 1000;
    const projection = options.projection
      ? Object.fromEntries([...options.projection, '_id', options.order.field].map((field) => [field, 1]))
      : undefined;
    const { field, direction } = options.order;
    let order = options.order;
    /** Cursors lost in a row without handing anything out. */
    let fruitless = 0;
    for (;;) {
      const cursor = this.events
        .find(withKeyset(selector, order), { ...(projection ? { projection } : {}), batchSize, allowDiskUse: true })
        .sort({ [field]: direction, _id: direction });
      try {
        for (;;) {
          let first: EventDocument | null;
          try {
            first = await this.gate.run(() => cursor.next());
          } catch (error) {
            if (!isLostCursor(error) || fruitless >= MAX_FRUITLESS_REOPENS) throw error;
            fruitless++;
            break;
          }
          if (first === null) return;
          fruitless = 0;
          const docs = [first, ...cursor.readBufferedDocuments()].map((doc) =>
            normalizeStoredEvent(doc as unknown as Record<string, unknown>),
          );
          for (const doc of docs) {
            // Ordered by a date field: archived_at is ordered by only where it is set (see SortField).
            order = { ...order, after: { value: doc[field] as Date, id: doc._id } };
            yield doc;
          }
        }
      } finally {
        // Early return by the consumer, or a lost cursor: release it on the server.
        await cursor.close().catch(() => undefined);
      }
    }
  }

  async findIds(selector: Selector, options: FindOptions): Promise<string[]> {
    const { field, direction } = options.order;
    const docs = await this.gate.run(() =>
      this.events
        .find(withKeyset(selector, options.order), { projection: { _id: 1 } })
        .sort({ [field]: direction, _id: direction })
        .skip(options.skip ?? 0)
        .limit(options.limit)
        .toArray(),
    );
    return docs.map((doc) => String(doc._id));
  }

  async setArchived(ids: readonly string[], archivedAt: Date | null): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await this.gate.run(() =>
      this.events.updateMany(
        { _id: { $in: [...ids] }, archived: archivedAt ? { $ne: true } : true },
        // Unarchived: the defaults, left out as toStoredDocument leaves them out.
        archivedAt
          ? { $set: { archived: true, archived_at: archivedAt } }
          : { $unset: { archived: '', archived_at: '' } },
      ),
    );
    return result.modifiedCount;
  }

  async deleteMany(selector: Selector): Promise<number> {
    const stored = forStoredShape(selector);
    return (await this.gate.run(() => this.events.deleteMany(stored))).deletedCount;
  }

  /**
   * See {@link EventStore.replaceAll}. The documents go to a staging collection with the events'
   * indexes while the events stay as they are, under a lease ({@link REPLACE_LEASE}); its count is
   * checked; then, with this process's operations on the events held (a {@link SwapGate}, so
   * none runs against the wrong collection and none is lost; reads wait too, so none sees a
   * half-done swap), the events stored since the start are copied over the staged ones and the
   * staging collection replaces the events by `renameCollection` with `dropTarget` (one atomic
   * step on MongoDB). FerretDB v1 has no `dropTarget`: there the events are renamed aside first
   * and dropped once the staging collection took their name (see {@link swapIn}).
   *
   * Events stored since the start: those this process stored, by id (exact), and those of other
   * instances by receipt time (as good as their clocks; any one logged between the copy and the
   * rename is lost).
   */
  async replaceAll(batches: AsyncIterable<readonly EventDocument[]>): Promise<ReplaceResult> {
    const events = this.events;
    const db = this.database;
    const started = Date.now();
    const captured = new Set<string>();
    this.captures.add(captured);
    const stagingName = `${this.options.collection}${STAGING_INFIX}${started.toString(36)}_${randomBytes(4).toString('hex')}`;
    let leased = false;
    let swapped = false;
    const renewLease = async () => {
      leased = await this.takeReplaceLease();
      if (!leased) throw new ReplaceInProgressError();
    };
    try {
      await renewLease();
      await this.dropRestoreLeftovers();
      let staging: Collection<EventDocument> | null = null;
      let staged = 0;
      let repeated = 0;
      for await (const batch of batches) {
        if (batch.length === 0) continue;
        staging ??= await this.createStaging(stagingName);
        const duplicates = await insertSkippingDuplicates(staging, batch, this.writeConcern);
        staged += batch.length - duplicates.size;
        repeated += duplicates.size;
        await renewLease();
      }
      staging ??= await this.createStaging(stagingName);
      // Had the lease expired during a stall, another instance's cleanup could have dropped the
      // staging collection and the next insert made a new, partial one. Never swap that in.
      const count = await staging.countDocuments({});
      if (count !== staged) {
        throw new Error(
          `The staging collection ${stagingName} holds ${count} events instead of ${staged}: another instance dropped it. Nothing was changed.`,
        );
      }
      await renewLease();
      const open = await this.gate.close();
      let setAside: string | null = null;
      try {
        const displaced = await this.copyCaptured(events, staging, captured, started);
        setAside = await this.swapIn(db, stagingName);
        swapped = true;
        return { insertedCount: staged - displaced, skippedCount: repeated + displaced };
      } finally {
        open();
        if (setAside)
          await db
            .collection(setAside)
            .drop()
            .catch(() => undefined);
      }
    } catch (error) {
      // Best effort (the database may be the failure): else done at the next init or replace.
      if (leased && !swapped) await this.dropRestoreLeftovers().catch(() => undefined);
      throw error;
    } finally {
      this.captures.delete(captured);
      if (leased) await this.releaseLease(REPLACE_LEASE, this.owner).catch(() => undefined);
    }
  }

  /** Takes or renews {@link REPLACE_LEASE} for this store; false when another instance holds it. */
  private takeReplaceLease(): Promise<boolean> {
    const now = Date.now();
    return this.acquireLease(REPLACE_LEASE, this.owner, new Date(now), new Date(now + REPLACE_LEASE_MS));
  }

  /** A new collection with the events' indexes (a failed index build is a warning, as in init). */
  private async createStaging(name: string): Promise<Collection<EventDocument>> {
    const staging = await this.database.createCollection<EventDocument>(name);
    try {
      if (this.indexes.length > 0) await staging.createIndexes(this.indexes);
    } catch (error) {
      this.options.onWarning?.(`Could not create every index on ${name}`, error);
    }
    return staging;
  }

  /**
   * Copies the events stored since `started` over the staged documents of the same ids (the
   * gate is closed, so the set is complete for this process). Returns how many staged
   * documents they replaced.
   */
  private async copyCaptured(
    events: Collection<EventDocument>,
    staging: Collection<EventDocument>,
    captured: ReadonlySet<string>,
    started: number,
  ): Promise<number> {
    let displaced = 0;
    const copied = new Set<string>();
    const copy = async (selector: Selector) => {
      const docs = (await events.find(selector).toArray()).filter((doc) => !copied.has(doc._id));
      if (docs.length === 0) return;
      // A delete and an insert rather than an upsert each: FerretDB v1 scans the collection per update.
      const writeConcern = this.writeConcern ? { writeConcern: this.writeConcern } : {};
      displaced += (await staging.deleteMany({ _id: { $in: docs.map((doc) => doc._id) } }, writeConcern)).deletedCount;
      await staging.insertMany(docs, { ordered: false, ...writeConcern });
      for (const doc of docs) copied.add(doc._id);
    };
    const ids = [...captured];
    const receivedMeanwhile = {
      received_at: { $gt: new Date(started), $lte: new Date(Date.now() + OTHER_INSTANCE_CLOCK_SLACK_MS) },
    };
    // One query where one will do: FerretDB v1 reads the whole collection for each.
    await copy(
      ids.length === 0 ? receivedMeanwhile : { $or: [receivedMeanwhile, { _id: { $in: ids.slice(0, 1000) } }] },
    );
    for (let i = 1000; i < ids.length; i += 1000) await copy({ _id: { $in: ids.slice(i, i + 1000) } });
    return displaced;
  }

  /**
   * Makes the staging collection the events collection. FerretDB v1 answers `dropTarget` with
   * NotImplemented: there, two renames (events aside, staging in); the caller drops the
   * set-aside collection, whose name this returns. Between the two renames this process's
   * operations are held, but another process reads no events, and its writes recreate the
   * collection so the second rename fails; the first is then undone ({@link dropRestoreLeftovers}
   * does it after a crash at that point, keeping such writes).
   */
  private async swapIn(db: Db, stagingName: string): Promise<string | null> {
    const name = this.options.collection;
    try {
      await db.renameCollection(stagingName, name, { dropTarget: true });
      return null;
    } catch (error) {
      if ((error as { code?: unknown }).code !== NOT_IMPLEMENTED) throw error;
    }
    const replaced = stagingName.replace(STAGING_INFIX, REPLACED_INFIX);
    await db.renameCollection(name, replaced);
    try {
      await db.renameCollection(stagingName, name);
    } catch (error) {
      await this.dropRestoreLeftovers().catch(() => undefined);
      throw error;
    }
    return replaced;
  }

  /**
   * Cleans up after replaces that were cut off (a crash, an outage); the caller holds
   * {@link REPLACE_LEASE}, so no replace is running. A swap cut off between its two renames is
   * undone (events written meanwhile by other instances are kept), a swap that completed loses
   * its set-aside collection, and staging collections are dropped.
   */
  private async dropRestoreLeftovers(): Promise<void> {
    const db = this.database;
    const name = this.options.collection;
    const names = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
    for (const replaced of [...names].filter((n) => n.startsWith(`${name}${REPLACED_INFIX}`))) {
      const stagingName = replaced.replace(REPLACED_INFIX, STAGING_INFIX);
      if (names.has(stagingName) || !names.has(name)) {
        // The staging collection never took the name: the set-aside events are the live ones.
        if (names.has(name)) {
          const written = await db.collection<EventDocument>(name).find().toArray();
          if (written.length > 0)
            await insertSkippingDuplicates(db.collection<EventDocument>(replaced), written, this.writeConcern);
          await db.collection(name).drop();
        }
        await db.renameCollection(replaced, name);
        names.add(name);
      } else {
        await db.collection(replaced).drop();
      }
    }
    for (const staging of [...names].filter((n) => n.startsWith(`${name}${STAGING_INFIX}`)))
      await db.collection(staging).drop();
  }

  /** The database handle (see {@link events}). */
  private get database(): Db {
    const db = this.connection?.db;
    if (!db) throw closedError();
    return db;
  }

  async countGroups(selector: Selector, options: CountGroupsOptions): Promise<GroupCount[]> {
    const groupBy = options.groupField === null ? null : `$${options.groupField}`;
    const count = async (match: Selector, bucket: number | null): Promise<GroupCount[]> => {
      const rows = await this.gate.run(() =>
        this.events
          .aggregate<{ _id: GroupCount['key'] | undefined; n: number }>([
            { $match: forStoredShape(match) },
            { $group: { _id: groupBy, n: { $sum: 1 } } },
          ])
          .toArray(),
      );
      return rows.map((row) => ({ key: row._id ?? null, bucket, count: row.n }));
    };
    const boundaries = options.bucketBoundaries;
    if (!boundaries) return count(selector, null);
    // FerretDB v1 has $match and $group but no date arithmetic ($dateTrunc, $subtract, $cond,
    // $bucket, $facet): one grouped count per bucket range, each an indexed range on real
    // MongoDB, a few in flight at a time.
    const out: GroupCount[] = [];
    const indexes = boundaries.slice(0, -1).map((_, i) => i);
    const worker = async () => {
      for (let i = indexes.shift(); i !== undefined; i = indexes.shift()) {
        const range = { event_timestamp: { $gte: new Date(boundaries[i]!), $lt: new Date(boundaries[i + 1]!) } };
        out.push(...(await count(Object.keys(selector).length === 0 ? range : { $and: [selector, range] }, i)));
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, indexes.length) }, worker));
    return out;
  }

  async acquireLease(name: string, owner: string, now: Date, expiresAt: Date): Promise<boolean> {
    try {
      // Matches only a lease that is expired or ours; when another holds it, the upsert's insert
      // collides on _id, which is the atomic "no".
      const lease = await this.locks.findOneAndUpdate(
        { _id: name, $or: [{ expires_at: { $lte: now } }, { owner }] },
        { $set: { owner, expires_at: expiresAt, acquired_at: now } },
        { upsert: true, returnDocument: 'after' },
      );
      return lease?.owner === owner;
    } catch (error) {
      if ((error as { code?: number }).code === DUPLICATE_KEY) return false;
      throw error;
    }
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    await this.locks.deleteOne({ _id: name, owner });
  }

  /** The `locks` collection of leases (see {@link acquireLease}). */
  private get locks(): Collection<{ _id: string; owner: string; expires_at: Date; acquired_at: Date }> {
    const db = this.connection?.db;
    if (!db) throw closedError();
    return db.collection('locks');
  }
}

// A lost or unreachable server surfaces from every call as StoreUnavailableError, not as driver errors.
translateStoreErrors(MongoEventStore, toStoreError);

/** Adds "strictly after (value, id) in this order" to a selector, for the stored shape (see {@link forStoredShape}). */
function withKeyset(selector: Selector, order: ReadOrder): Selector {
  if (!order.after) return forStoredShape(selector);
  const { field, direction, after } = order;
  const beyond = direction === 1 ? '$gt' : '$lt';
  const keyset = {
    $or: [{ [field]: { [beyond]: after.value } }, { [field]: after.value, _id: { [beyond]: after.id } }],
  };
  return forStoredShape(Object.keys(selector).length === 0 ? keyset : { $and: [selector, keyset] });
}

/**
 * Inserts documents unordered into a collection; returns the indexes of those whose id was
 * stored already (or repeated in the batch). Any other failure is thrown.
 */
async function insertSkippingDuplicates(
  collection: Collection<EventDocument>,
  docs: readonly EventDocument[],
  writeConcern: WriteConcernSettings | undefined,
): Promise<Set<number>> {
  // Copies (which also keep callers' objects intact) without the members that hold their default.
  const batch = docs.map(toStoredDocument);
  const duplicateIndexes = new Set<number>();
  try {
    await collection.insertMany(batch, { ordered: false, ...(writeConcern ? { writeConcern } : {}) });
  } catch (error) {
    const writeErrors = (error as MongoBulkWriteError).writeErrors;
    const list = writeErrors === undefined ? [] : Array.isArray(writeErrors) ? writeErrors : [writeErrors];
    if (list.length === 0 || list.some((e) => e.code !== DUPLICATE_KEY)) throw error;
    for (const e of list) duplicateIndexes.add(e.index);
  }
  return duplicateIndexes;
}
