import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { filterToSelector } from '../src/events/event-filter';
import type { EventDocument } from '../src/store/event-document';
import type { ReadOrder } from '../src/store/event-store';
import { SqliteEventStore } from '../src/store/sqlite/sqlite-event-store';
import { ensureTextIndex } from '../src/store/sqlite/text-index';
import { BASE_TIME, makeDoc } from './support/fixtures';

/* The SQLite text index (docs/performance.md#text-search) stays in step with the events table. */

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function tempFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-events-fts-'));
  dirs.push(dir);
  return path.join(dir, 'events.db');
}

const newest: ReadOrder = { field: 'event_timestamp', direction: -1 };
const docsWith = (word: string, count: number, offset = 0): EventDocument[] =>
  Array.from({ length: count }, (_, i) =>
    makeDoc({ event_timestamp: new Date(BASE_TIME + (offset + i) * 1000), event_data: { message: `${word} #${i}` } }),
  );

async function search(store: SqliteEventStore, text: string): Promise<{ ids: string[]; count: number }> {
  const selector = filterToSelector({ text, archived: 'ALL' as never });
  const found = await store.find(selector, { order: newest, limit: 1000 });
  return { ids: found.map((d) => d._id), count: await store.count(selector) };
}

describe('SQLite text index', () => {
  it('is built at start for a database that has none, with progress reported', async () => {
    const file = tempFile();
    const first = new SqliteEventStore(file);
    await first.init();
    const docs = docsWith('Centrifuge', 30);
    await first.insertMany(docs);
    await first.close();
    // A file from before the index: no FTS table, no triggers.
    const raw = new Database(file);
    raw.exec(
      'DROP TRIGGER events_fts_insert; DROP TRIGGER events_fts_delete; DROP TRIGGER events_fts_update; DROP TABLE events_fts;',
    );
    raw.close();
    const lines: string[] = [];
    const store = new SqliteEventStore(file, { onProgress: (line) => lines.push(line) });
    await store.init();
    try {
      expect(lines.join('\n')).toMatch(/Indexing the text of 30 stored events[\s\S]*Text index ready: 30 events/);
      const { ids, count } = await search(store, 'centrifuge');
      expect(ids).toEqual([...docs].reverse().map((d) => d._id));
      expect(count).toBe(30);
      const reopened = new SqliteEventStore(file, { onProgress: (line) => lines.push(line) });
      lines.length = 0;
      await reopened.init();
      await reopened.close();
      expect(lines).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('indexes an existing database in several chunks', async () => {
    const file = tempFile();
    const first = new SqliteEventStore(file);
    await first.init();
    const docs = docsWith('Incubator', 30);
    await first.insertMany(docs);
    await first.close();
    const raw = new Database(file);
    raw.exec(
      'DROP TRIGGER events_fts_insert; DROP TRIGGER events_fts_delete; DROP TRIGGER events_fts_update; DROP TABLE events_fts;',
    );
    const lines: string[] = [];
    ensureTextIndex(raw, (line) => lines.push(line), 7);
    raw.close();
    expect(lines.filter((line) => line.startsWith('Indexed the text of'))).toHaveLength(5);
    const store = new SqliteEventStore(file);
    await store.init();
    try {
      expect(await search(store, 'incubator')).toEqual({ ids: [...docs].reverse().map((d) => d._id), count: 30 });
    } finally {
      await store.close();
    }
  });

  it('follows inserts, deletes and a restore (replaceAll) in the same transactions', async () => {
    const store = new SqliteEventStore(tempFile());
    await store.init();
    try {
      const alpha = docsWith('alpha-word', 5);
      await store.insertMany(alpha);
      expect((await search(store, 'alpha-w')).count).toBe(5);
      expect(await store.deleteMany({ _id: { $in: alpha.slice(0, 2).map((d) => d._id) } })).toBe(2);
      expect(await search(store, 'alpha-w')).toEqual({
        ids: alpha
          .slice(2)
          .reverse()
          .map((d) => d._id),
        count: 3,
      });
      const bravo = docsWith('bravo-word', 4, 100);
      async function* batches() {
        yield bravo;
      }
      await store.replaceAll(batches());
      expect(await search(store, 'alpha-w')).toEqual({ ids: [], count: 0 });
      expect((await search(store, 'BRAVO-W')).count).toBe(4);
      // The triggers are back after the restore's bulk rebuild.
      const late = docsWith('alpha-word again', 1, 200);
      await store.insertMany(late);
      expect((await search(store, 'alpha-w')).ids).toEqual([late[0]!._id]);
      await store.deleteMany({ _id: late[0]!._id });
      expect((await search(store, 'alpha-w')).count).toBe(0);
    } finally {
      await store.close();
    }
  });
});
