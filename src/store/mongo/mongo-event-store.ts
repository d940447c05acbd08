import { buildSchema } from '@typegoose/typegoose';
import mongoose from 'mongoose';
import type { Collection, MongoBulkWriteError } from 'mongodb';
import { normalizeStoredEvent } from '../../events/event.document';
import { Event } from '../../events/event.entity';
import type { EventDocument } from '../event-document';
import type { CountGroupsOptions, EventStore, FindOptions, GroupCount, InsertResult, ReadOrder, Selector, StorePing } from '../event-store';

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

/**
 * The production store: MongoDB (or any wire-compatible server) through the Typegoose model of
 * {@link Event}. The model defines the schema and indexes; reads and bulk writes go through its
 * driver collection, which is many times faster than mongoose documents for this workload.
 */
export class MongoEventStore implements EventStore {
  readonly engine = 'mongodb' as const;
  private connection: mongoose.Connection | null = null;
  private collection: Collection<EventDocument> | null = null;
  private version: string | null = null;

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
    const model = connection.model('Event', buildSchema(Event), this.options.collection);
    this.connection = connection;
    this.collection = model.collection as unknown as Collection<EventDocument>;
    try {
      await model.createIndexes();
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
    if (!this.collection) throw Object.assign(new Error('The MongoDB store is closed'), { name: 'MongoNotConnectedError' });
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

  async insertMany(docs: readonly EventDocument[]): Promise<InsertResult> {
    if (docs.length === 0) return { insertedIds: [], duplicateIds: [] };
    // The driver adds nothing to documents that carry an _id, but copies keep callers' objects intact.
    const batch = docs.map((doc) => ({ ...doc }));
    const duplicateIndexes = new Set<number>();
    try {
      await this.events.insertMany(batch, {
        ordered: false,
        ...(this.options.journaledWrites === false ? {} : { writeConcern: { w: 'majority', j: true } }),
      });
    } catch (error) {
      const writeErrors = (error as MongoBulkWriteError).writeErrors;
      const list = writeErrors === undefined ? [] : Array.isArray(writeErrors) ? writeErrors : [writeErrors];
      if (list.length === 0 || list.some((e) => e.code !== DUPLICATE_KEY)) throw error;
      for (const e of list) duplicateIndexes.add(e.index);
    }
    const insertedIds: string[] = [];
    const duplicateIds: string[] = [];
    docs.forEach((doc, i) => (duplicateIndexes.has(i) ? duplicateIds : insertedIds).push(doc._id));
    return { insertedIds, duplicateIds };
  }

  async findByIds(ids: readonly string[]): Promise<EventDocument[]> {
    if (ids.length === 0) return [];
    const docs = await this.events.find({ _id: { $in: [...ids] } }).toArray();
    return docs.map((doc) => normalizeStoredEvent(doc as unknown as Record<string, unknown>));
  }

  async find(selector: Selector, options: FindOptions): Promise<EventDocument[]> {
    const { field, direction } = options.order;
    const cursor = this.events
      .find(withKeyset(selector, options.order))
      .sort({ [field]: direction, _id: direction })
      .skip(options.skip ?? 0)
      .limit(options.limit);
    const docs = await cursor.toArray();
    return docs.map((doc) => normalizeStoredEvent(doc as unknown as Record<string, unknown>));
  }

  async exists(selector: Selector): Promise<boolean> {
    return (await this.events.findOne(selector, { projection: { _id: 1 } })) !== null;
  }

  async count(selector: Selector): Promise<number> {
    return this.events.countDocuments(selector);
  }

  async *stream(selector: Selector, options: { order: ReadOrder; chunkSize?: number; projection?: readonly (keyof EventDocument)[] }): AsyncIterable<EventDocument> {
    // Keyset chunks rather than one long cursor: no cursor timeout, and each chunk is one
    // short query that any wire-compatible server answers.
    const chunkSize = options.chunkSize ?? 1000;
    const projection = options.projection ? Object.fromEntries([...options.projection, '_id', options.order.field].map((field) => [field, 1])) : undefined;
    let order = options.order;
    for (;;) {
      const docs = projection ? await this.findProjected(selector, order, chunkSize, projection) : await this.find(selector, { order, limit: chunkSize });
      yield* docs;
      if (docs.length < chunkSize) return;
      const last = docs.at(-1)!;
      // Ordered by a date field: archived_at is ordered by only where it is set (see SortField).
      order = { ...order, after: { value: last[order.field] as Date, id: last._id } };
    }
  }

  /** A chunk of {@link stream} reading only the projected fields. */
  private async findProjected(selector: Selector, order: ReadOrder, limit: number, projection: Record<string, number>): Promise<EventDocument[]> {
    const docs = await this.events
      .find(withKeyset(selector, order), { projection })
      .sort({ [order.field]: order.direction, _id: order.direction })
      .limit(limit)
      .toArray();
    return docs.map((doc) => normalizeStoredEvent(doc as unknown as Record<string, unknown>));
  }

  async findIds(selector: Selector, options: FindOptions): Promise<string[]> {
    const { field, direction } = options.order;
    const docs = await this.events
      .find(withKeyset(selector, options.order), { projection: { _id: 1 } })
      .sort({ [field]: direction, _id: direction })
      .skip(options.skip ?? 0)
      .limit(options.limit)
      .toArray();
    return docs.map((doc) => String(doc._id));
  }

  async setArchived(ids: readonly string[], archivedAt: Date | null): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await this.events.updateMany(
      { _id: { $in: [...ids] }, archived: archivedAt ? { $ne: true } : true },
      { $set: { archived: archivedAt !== null, archived_at: archivedAt } },
    );
    return result.modifiedCount;
  }

  async deleteMany(selector: Selector): Promise<number> {
    return (await this.events.deleteMany(selector)).deletedCount;
  }

  async clear(): Promise<void> {
    await this.events.deleteMany({});
  }

  async countGroups(selector: Selector, options: CountGroupsOptions): Promise<GroupCount[]> {
    const groupBy = options.groupField === null ? null : `$${options.groupField}`;
    const count = async (match: Selector, bucket: number | null): Promise<GroupCount[]> => {
      const rows = await this.events
        .aggregate<{ _id: GroupCount['key'] | undefined; n: number }>([{ $match: match }, { $group: { _id: groupBy, n: { $sum: 1 } } }])
        .toArray();
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
    if (!db) throw Object.assign(new Error('The MongoDB store is closed'), { name: 'MongoNotConnectedError' });
    return db.collection('locks');
  }
}

/** Adds "strictly after (value, id) in this order" to a selector. */
function withKeyset(selector: Selector, order: ReadOrder): Selector {
  if (!order.after) return selector;
  const { field, direction, after } = order;
  const beyond = direction === 1 ? '$gt' : '$lt';
  const keyset = { $or: [{ [field]: { [beyond]: after.value } }, { [field]: after.value, _id: { [beyond]: after.id } }] };
  return Object.keys(selector).length === 0 ? keyset : { $and: [selector, keyset] };
}
