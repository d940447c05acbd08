import { MongoClient, type Document } from 'mongodb';
import { normalizeStoredEvent } from '../../store/normalize-event';
import type { EventDocument } from '../../store/event-document';
import type { EventStore } from '../../store/event-store';

/** Where to read a MADSci Event Manager's events from. */
export interface ImportOptions {
  /** MongoDB connection string of the MADSci database server. */
  from: string;
  /** MADSci's default: `madsci_events`. */
  database: string;
  /** MADSci's default: `events`. */
  collection: string;
  /** Documents read and written per round trip (default 1000). */
  batchSize?: number;
}

/** Counts so far; `total` is the source collection's estimated size. */
export interface ImportProgress {
  read: number;
  inserted: number;
  /** Ids the target already held (a second run skips everything). */
  skipped: number;
  total: number;
  elapsedMs: number;
}

/** The outcome of an import. */
export interface ImportResult extends ImportProgress {
  /** Documents whose `event_timestamp` could not be read as a date (imported at the Unix epoch). */
  unreadableTimestamps: number;
}

/**
 * Streams a MADSci events collection into a store. MADSci's documents (`_id` strings, ISO text
 * timestamps, naive meaning UTC, BSON-date `archived_at`, any `event_data`) are read with
 * {@link normalizeStoredEvent}, so ids, instants, archive state and data are kept. The source is
 * read through one cursor in batches (no per-document queries) and written with the store's bulk
 * insert, which skips ids it already holds: running the import twice adds nothing. Imported
 * events are history: they are written to the store directly, so no live feed or alert fires.
 */
export async function importMadsciEvents(
  options: ImportOptions,
  store: EventStore,
  onProgress: (progress: ImportProgress) => void = () => {},
): Promise<ImportResult> {
  const batchSize = options.batchSize ?? 1000;
  const started = Date.now();
  // Give up on an unreachable server after 15 s unless the URI says otherwise.
  const client = new MongoClient(
    options.from,
    /serverSelectionTimeoutMS=/i.test(options.from) ? {} : { serverSelectionTimeoutMS: 15_000 },
  );
  const counts = { read: 0, inserted: 0, skipped: 0, total: 0, unreadableTimestamps: 0 };
  const progress = (): ImportProgress => ({
    read: counts.read,
    inserted: counts.inserted,
    skipped: counts.skipped,
    total: counts.total,
    elapsedMs: Date.now() - started,
  });
  try {
    await client.connect();
    const collection = client.db(options.database).collection<Document>(options.collection);
    counts.total = await collection.estimatedDocumentCount();
    onProgress(progress());
    const flush = async (batch: EventDocument[]) => {
      const { insertedIds } = await store.insertMany(batch);
      counts.inserted += insertedIds.length;
      counts.skipped += batch.length - insertedIds.length;
      onProgress(progress());
    };
    let batch: EventDocument[] = [];
    for await (const raw of collection.find({}, { batchSize })) {
      counts.read++;
      const doc = normalizeStoredEvent(raw);
      if (doc.event_timestamp.getTime() === 0 && !isEpoch(raw.event_timestamp)) counts.unreadableTimestamps++;
      batch.push(doc);
      if (batch.length >= batchSize) {
        await flush(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await flush(batch);
    // The estimate may be off (documents added meanwhile); the end state is exact.
    counts.total = Math.max(counts.total, counts.read);
    return { ...progress(), unreadableTimestamps: counts.unreadableTimestamps };
  } finally {
    await client.close();
  }
}

function isEpoch(value: unknown): boolean {
  return (
    (value instanceof Date && value.getTime() === 0) ||
    (typeof value === 'string' && /^1970-01-01T00:00:00(\.0+)?(Z|\+00:?00)?$/.test(value))
  );
}
