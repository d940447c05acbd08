/**
 * SQLite scans (`stream`, and every read built on them) read in keyset chunks on the read worker,
 * the next chunk requested while the current one is turned into documents: the order and the
 * documents are those of one read, and a reader that stops early leaves nothing failing behind it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../src/core/errors';
import type { EventDocument } from '../src/store/event-document';
import type { ReadOrder } from '../src/store/event-store';
import { SqliteEventStore } from '../src/store/sqlite/sqlite-event-store';
import { variedDocs } from './support/fixtures';
import { canonical } from './support/lifecycle';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

async function openStore(): Promise<SqliteEventStore> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-events-scan-'));
  dirs.push(dir);
  const store = new SqliteEventStore(path.join(dir, 'events.db'));
  await store.init();
  return store;
}

async function all(docs: AsyncIterable<EventDocument>): Promise<EventDocument[]> {
  const out: EventDocument[] = [];
  for await (const doc of docs) out.push(doc);
  return out;
}

describe('SQLite scans read ahead one chunk', () => {
  it('yield every matching document once, in order, across chunk boundaries', async () => {
    const store = await openStore();
    try {
      await store.insertMany(variedDocs(503, 21));
      for (const direction of [1, -1] as const) {
        const order: ReadOrder = { field: 'event_timestamp', direction };
        const whole = await store.find({}, { order, limit: 1000 });
        for (const chunkSize of [7, 100, 503, 1000]) {
          const streamed = await all(store.stream({}, { order, chunkSize }));
          expect({ chunkSize, ids: streamed.map((doc) => doc._id) }).toEqual({
            chunkSize,
            ids: whole.map((doc) => doc._id),
          });
          expect(streamed.map(canonical)).toEqual(whole.map(canonical));
        }
        // A selector SQL cannot answer alone is checked on each chunk's documents as well.
        const selector = { 'event_data.index': { $exists: false }, log_level: { $gte: 30 } };
        expect((await all(store.stream(selector, { order, chunkSize: 9 }))).map((doc) => doc._id)).toEqual(
          (await store.find(selector, { order, limit: 1000 })).map((doc) => doc._id),
        );
      }
    } finally {
      await store.close();
    }
  });

  it('leave no failing read behind a reader that stopped early, and fail a reader of a closed store', async () => {
    const store = await openStore();
    await store.insertMany(variedDocs(200, 22));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const order: ReadOrder = { field: 'event_timestamp', direction: 1 };
      let read = 0;
      for await (const _doc of store.stream({}, { order, chunkSize: 10 })) if (++read === 3) break;
      const open = store.stream({}, { order, chunkSize: 10 })[Symbol.asyncIterator]();
      expect((await open.next()).done).toBe(false);
      // The store closes while the next chunk is being read: that read fails, unobserved or not.
      await store.close();
      await new Promise((resolve) => setTimeout(resolve, 50));
      for (let i = 0; i < 9; i++) await open.next();
      await expect(open.next()).rejects.toBeInstanceOf(StoreUnavailableError);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await store.close();
    }
  });
});
