/**
 * MERGE restores on SQLite (`SqliteEventStore.mergeAll`, through `BackupService.restore`): the
 * backup is read once and loaded beside the events, which change only at one swap at the end; into
 * an empty store the loaded table becomes the events table and its indexes and text index are built
 * in bulk (docs/performance.md#backup-and-restore). A MERGE that fails, at any point before the
 * swap, leaves the events, their indexes and their text index exactly as they were.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { BadUserInputError } from '../src/core/errors';
import { filterToSelector } from '../src/events/event-filter';
import { BackupService, RestoreMode } from '../src/lifecycle/backup.service';
import type { EventDocument } from '../src/store/event-document';
import { SqliteEventStore } from '../src/store/sqlite/sqlite-event-store';
import { BASE_TIME, makeDoc, variedDocs } from './support/fixtures';
import { canonical, expectSameDocuments, snapshot } from './support/lifecycle';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-events-merge-'));
  dirs.push(dir);
  return dir;
}

/** Events whose text holds `word`, one second apart from `offset`. */
const docsWith = (word: string, count: number, offset = 0): EventDocument[] =>
  Array.from({ length: count }, (_, i) =>
    makeDoc({
      event_timestamp: new Date(BASE_TIME + (offset + i) * 1000),
      event_data: { message: `${word} #${offset + i}` },
    }),
  );

async function openStore(file: string): Promise<SqliteEventStore> {
  const store = new SqliteEventStore(file);
  await store.init();
  return store;
}

function backupsOf(store: SqliteEventStore, dir: string): BackupService {
  return new BackupService(
    store,
    { dir, maxCount: 100, schedule: null, enabled: false, database: 'madsci_events', collection: 'events' },
    { version: 'test' },
  );
}

/** Ids and count of a `text` search (the page read and the count both go through the text index). */
async function search(store: SqliteEventStore, text: string): Promise<{ ids: string[]; count: number }> {
  const selector = filterToSelector({ text, archived: 'ALL' as never });
  const found = await store.find(selector, { order: { field: 'event_timestamp', direction: 1 }, limit: 10_000 });
  return { ids: found.map((doc) => doc._id), count: await store.count(selector) };
}

/** What a restore may never break, read without the store's code: integrity, the text index, the schema. */
function fileState(file: string): { integrity: string; textIndex: string; schema: string[] } {
  const db = new Database(file);
  try {
    let textIndex = 'ok';
    try {
      db.exec(`INSERT INTO events_fts (events_fts, rank) VALUES ('integrity-check', 1)`);
    } catch (error) {
      textIndex = String(error);
    }
    const schema = (
      db
        .prepare(`SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'events_fts_%' ORDER BY name`)
        .all() as {
        type: string;
        name: string;
        tbl_name: string;
        sql: string | null;
      }[]
    )
      // A renamed table's definition names it in quotes (SQLite's ALTER TABLE RENAME).
      .map(
        (row) =>
          `${row.type} ${row.name} on ${row.tbl_name}: ${(row.sql ?? '').replace('CREATE TABLE "events"', 'CREATE TABLE events')}`,
      );
    return { integrity: db.pragma('integrity_check', { simple: true }) as string, textIndex, schema };
  } finally {
    db.close();
  }
}

describe('MERGE restore on SQLite', () => {
  it('into an empty store: every event, its indexes, text search and the triggers that keep it', async () => {
    const dir = tempDir();
    const source = await openStore(path.join(dir, 'source.db'));
    const docs = [...docsWith('centrifuge', 30), ...variedDocs(25_000, 7), ...docsWith('rotavap', 5, 90_000)];
    await source.insertMany(docs);
    const backup = await backupsOf(source, path.join(dir, 'backups')).create('merge');
    const expected = await snapshot(source);
    const emptyState = fileState(path.join(dir, 'source.db')).schema;
    const planned = [{ event_type: 'workflow_start' }, { field: 'event_timestamp', direction: -1 }] as const;
    const plan = source.explainFind(...planned);
    expect(plan.join()).toMatch(/USING INDEX events_type_ts/);
    await source.close();

    const file = path.join(dir, 'target.db');
    const target = await openStore(file);
    try {
      expect(await backupsOf(target, path.join(dir, 'backups')).restore(backup.path, RestoreMode.MERGE)).toEqual({
        restoredCount: docs.length,
        skippedCount: 0,
      });
      expectSameDocuments(await snapshot(target), expected);
      expect(await search(target, 'CENTRIFUGE')).toEqual({ ids: docs.slice(0, 30).map((d) => d._id), count: 30 });
      expect((await search(target, 'rotavap')).count).toBe(5);
      // Indexes rebuilt from their definitions: same schema as a store filled by inserts, same plans.
      expect(fileState(file)).toEqual({ integrity: 'ok', textIndex: 'ok', schema: emptyState });
      expect(target.explainFind(...planned)).toEqual(plan);
      // The text index follows later writes again.
      const late = docsWith('centrifuge late', 1, 95_000);
      await target.insertMany(late);
      expect((await search(target, 'centrifuge late')).ids).toEqual([late[0]!._id]);
      await target.deleteMany({ _id: docs[0]!._id });
      expect((await search(target, 'centrifuge')).count).toBe(30);
      expect(fileState(file).textIndex).toBe('ok');
    } finally {
      await target.close();
    }
  });

  it('into a store with events: adds the missing ones, keeps the stored ones, text index consistent', async () => {
    const dir = tempDir();
    const store = await openStore(path.join(dir, 'events.db'));
    try {
      const stored = docsWith('stored-word', 40);
      await store.insertMany(stored);
      const incoming = docsWith('loaded-word', 60, 1000);
      const repeated = { ...incoming[3]!, log_level: 50 };
      const sameId = { ...stored[5]!, event_data: { message: 'loaded over a stored id' }, search_text: 'loaded over' };
      async function* batches() {
        yield incoming.slice(0, 30);
        // Logged while it loads, with an id of the backup's: the logged event wins.
        await store.insertMany([{ ...incoming[40]!, event_data: { message: 'logged meanwhile' }, search_text: 'x' }]);
        yield [...incoming.slice(30), repeated, sameId];
      }
      expect(await store.mergeAll(batches())).toEqual({ insertedCount: 59, skippedCount: 3 });
      expect(await store.count({})).toBe(100);
      expect((await search(store, 'stored-word')).count).toBe(40);
      expect((await search(store, 'loaded-word')).count).toBe(59);
      expect((await search(store, 'loaded over')).count).toBe(0);
      const [kept] = await store.findByIds([incoming[40]!._id]);
      expect(kept!.event_data).toEqual({ message: 'logged meanwhile' });
      const [first] = await store.findByIds([incoming[3]!._id]);
      expect(canonical(first)).toBe(canonical(incoming[3]));
      expect(fileState(path.join(dir, 'events.db'))).toMatchObject({ integrity: 'ok', textIndex: 'ok' });
    } finally {
      await store.close();
    }
  });

  for (const target of ['an empty store', 'a store with events'] as const) {
    it(`into ${target}: a failure midway changes nothing and leaves nothing beside the events`, async () => {
      const dir = tempDir();
      const file = path.join(dir, 'events.db');
      const store = await openStore(file);
      try {
        if (target === 'a store with events') await store.insertMany(docsWith('stored-word', 50));
        const before = await snapshot(store);
        const schemaBefore = fileState(file).schema;
        async function* failing() {
          yield docsWith('loaded-word', 20, 1000);
          yield docsWith('loaded-word', 20, 2000);
          throw new Error('the backup could not be read');
        }
        await expect(store.mergeAll(failing())).rejects.toThrow('the backup could not be read');
        expectSameDocuments(await snapshot(store), before);
        expect((await search(store, 'loaded-word')).count).toBe(0);
        expect((await search(store, 'stored-word')).count).toBe(before.length);
        expect(fileState(file)).toEqual({ integrity: 'ok', textIndex: 'ok', schema: schemaBefore });
        // Logging goes on, text index included.
        await store.insertMany(docsWith('after-word', 2, 3000));
        expect((await search(store, 'after-word')).count).toBe(2);
      } finally {
        await store.close();
      }
    });
  }

  it('reads the backup once: a data file damaged while it loads is refused and nothing changes', async () => {
    const dir = tempDir();
    const source = await openStore(path.join(dir, 'source.db'));
    await source.insertMany(variedDocs(30_000, 11));
    const backupDir = path.join(dir, 'backups');
    const backup = await backupsOf(source, backupDir).create('damaged');
    await source.close();
    const dataFile = path.join(backup.path, 'madsci_events', 'events.bson.gz');
    const bytes = fs.readFileSync(dataFile);

    const file = path.join(dir, 'target.db');
    const store = await openStore(file);
    try {
      await store.insertMany(docsWith('stored-word', 10));
      const before = await snapshot(store);
      const schemaBefore = fileState(file).schema;
      // A byte of gzip's trailer changed: found once the whole file was read and loaded.
      bytes[bytes.length - 5]! ^= 0xff;
      fs.writeFileSync(dataFile, bytes);
      for (const mode of [RestoreMode.MERGE, RestoreMode.REPLACE]) {
        const refused = await backupsOf(store, backupDir)
          .restore(backup.path, mode)
          .catch((error: unknown) => error);
        expect(refused).toBeInstanceOf(BadUserInputError);
        expect(refused).toMatchObject({
          message: expect.stringMatching(
            /cannot be restored: checksum mismatch in madsci_events\/events\.bson\.gz\. Nothing was changed/,
          ),
        });
      }
      expectSameDocuments(await snapshot(store), before);
      expect(fileState(file)).toEqual({ integrity: 'ok', textIndex: 'ok', schema: schemaBefore });
    } finally {
      await store.close();
    }
  });
});
