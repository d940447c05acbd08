/**
 * Reading a backup's data file (decoded on a worker thread, src/lifecycle/bson-read-worker.ts):
 * documents written by other tools, with BSON values this server never writes (an ObjectId `_id`,
 * a Long beyond 2^53, a Decimal128, binary data), are restored exactly as BSON decoding reads them;
 * and every way a data file can fail to decode is refused by name, with nothing changed, even
 * when the manifest's checksum matches the damaged file.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { Binary, BSON, Decimal128, Long, ObjectId } from 'bson';
import { afterAll, describe, expect, it } from 'vitest';
import { BadUserInputError } from '../src/core/errors';
import { BackupService, RestoreMode } from '../src/lifecycle/backup.service';
import { normalizeStoredEvent } from '../src/store/normalize-event';
import { SqliteEventStore } from '../src/store/sqlite/sqlite-event-store';
import { BASE_TIME, makeDoc } from './support/fixtures';
import { canonical, expectSameDocuments, snapshot } from './support/lifecycle';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-events-decode-'));
  dirs.push(dir);
  return dir;
}

const DATABASE = 'madsci_events';

/** A backup directory made by hand around `data` (the raw, uncompressed BSON of the data file). */
function handMadeBackup(backupDir: string, name: string, data: Buffer, eventCount: number): string {
  const dir = path.join(backupDir, name);
  fs.mkdirSync(path.join(dir, DATABASE), { recursive: true });
  const files = [
    { path: `${DATABASE}/events.bson.gz`, bytes: zlib.gzipSync(data) },
    { path: `${DATABASE}/events.metadata.json.gz`, bytes: zlib.gzipSync('{"indexes":[]}') },
  ];
  for (const file of files) fs.writeFileSync(path.join(dir, file.path), file.bytes);
  const manifest = {
    format: 'lab-events-backup',
    formatVersion: 1,
    createdAt: new Date(BASE_TIME).toISOString(),
    description: name,
    engine: 'mongodump',
    serverVersion: 'test',
    database: DATABASE,
    collection: 'events',
    eventCount,
    dataFile: files[0]!.path,
    files: files.map((file) => ({
      path: file.path,
      bytes: file.bytes.length,
      sha256: crypto.createHash('sha256').update(file.bytes).digest('hex'),
    })),
  };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

const bson = (docs: readonly object[]) => Buffer.concat(docs.map((doc) => BSON.serialize(doc)));

async function openStore(dir: string): Promise<{ store: SqliteEventStore; backups: BackupService }> {
  const store = new SqliteEventStore(path.join(dir, 'events.db'));
  await store.init();
  const backups = new BackupService(
    store,
    {
      dir: path.join(dir, 'backups'),
      maxCount: 100,
      schedule: null,
      enabled: false,
      database: DATABASE,
      collection: 'events',
    },
    { version: 'test' },
  );
  return { store, backups };
}

describe('restoring backups decoded on a worker thread (SQLite)', () => {
  it('reads documents with BSON values this server never writes as BSON decoding reads them', async () => {
    const dir = tempDir();
    const { store, backups } = await openStore(dir);
    try {
      const foreign: Record<string, unknown>[] = [
        // MADSci's shape, as another tool dumps it: an ObjectId, naive ISO text for dates.
        {
          _id: new ObjectId('65a1b2c3d4e5f60718293a4b'),
          event_type: 'LOG_INFO',
          log_level: 20,
          event_timestamp: '2025-01-06T08:00:01.500',
          source: { node_id: 'node-1' },
          event_data: { message: 'foreign', ref: new ObjectId('65a1b2c3d4e5f60718293a4c') },
        },
        {
          _id: 'big-numbers',
          event_type: 'data_store',
          log_level: 20,
          event_timestamp: new Date(BASE_TIME + 2000),
          event_data: {
            long: Long.fromString('9007199254740993'),
            decimal: Decimal128.fromString('1.10'),
            blob: new Binary(Buffer.from('abc')),
            nested: [{ id: new ObjectId('65a1b2c3d4e5f60718293a4d') }],
          },
        },
        // Plain documents around them, one with a date inside its data.
        { ...makeDoc({ event_timestamp: new Date(BASE_TIME + 3000) }), _id: 'plain-1' },
        {
          ...makeDoc({ event_timestamp: new Date(BASE_TIME + 4000), event_data: { at: new Date(BASE_TIME) } }),
          _id: 'plain-2',
        },
      ];
      const data = bson(foreign);
      const backup = handMadeBackup(path.join(dir, 'backups'), 'foreign', data, foreign.length);
      // What this store keeps for each: BSON decoding, normalisation, event_data as JSON.
      const expected = foreign.map((doc) => {
        const stored = normalizeStoredEvent(BSON.deserialize(BSON.serialize(doc)));
        return canonical({ ...stored, event_data: JSON.parse(JSON.stringify(stored.event_data)) });
      });
      expect(expected[0]).toContain('"_id":"65a1b2c3d4e5f60718293a4b"');
      expect(expected[1]).toContain('"long":');

      expect(await backups.restore(backup, RestoreMode.MERGE)).toEqual({ restoredCount: 4, skippedCount: 0 });
      expectSameDocuments(await snapshot(store), expected);
    } finally {
      await store.close();
    }
  });

  it('refuses, by name, each data file that does not decode, even with a matching checksum, and changes nothing', async () => {
    const dir = tempDir();
    const { store, backups } = await openStore(dir);
    try {
      await store.insertMany([makeDoc({ event_data: { message: 'stored before' } })]);
      const before = await snapshot(store);
      const good = [1, 2, 3].map((i) => ({ ...makeDoc({ event_timestamp: new Date(BASE_TIME + i) }), _id: `ok-${i}` }));
      const whole = bson(good);
      const noId = { event_type: 'log', event_timestamp: new Date(BASE_TIME) };
      const cases: { name: string; data: Buffer; count: number; message: RegExp }[] = [
        { name: 'no-id', data: bson([good[0]!, noId, good[1]!]), count: 3, message: /document 1 has no _id/ },
        {
          name: 'truncated',
          data: whole.subarray(0, whole.length - 7),
          count: 3,
          message: /events\.bson\.gz ends inside a document \(truncated\)/,
        },
        {
          name: 'bad-size',
          data: Buffer.concat([whole, Buffer.from([3, 0, 0, 0, 0])]),
          count: 3,
          message: /corrupt BSON in events\.bson\.gz: a document claims 3 bytes/,
        },
        { name: 'miscounted', data: whole, count: 4, message: /holds 3 events, the manifest says 4/ },
      ];
      for (const { name, data, count, message } of cases) {
        const backup = handMadeBackup(path.join(dir, 'backups'), name, data, count);
        for (const mode of [RestoreMode.MERGE, RestoreMode.REPLACE]) {
          const refused = await backups.restore(backup, mode).catch((error: unknown) => error);
          expect(refused, `${name} ${mode}`).toBeInstanceOf(BadUserInputError);
          expect(refused).toMatchObject({
            code: 'BAD_USER_INPUT',
            status: 400,
            field: 'path',
            message: expect.stringMatching(message),
          });
          expect((refused as Error).message).toMatch(/Nothing was changed\.$/);
        }
      }
      expectSameDocuments(await snapshot(store), before);
    } finally {
      await store.close();
    }
  });

  it('restores a backup larger than a batch, every document in order, and again after a REPLACE', async () => {
    const dir = tempDir();
    const { store, backups } = await openStore(dir);
    try {
      const docs = Array.from({ length: 25_003 }, (_, i) => ({
        ...makeDoc({ event_timestamp: new Date(BASE_TIME + i), event_data: { n: i, word: `w${i % 97}` } }),
        _id: `doc-${String(i).padStart(6, '0')}`,
      }));
      const backup = handMadeBackup(path.join(dir, 'backups'), 'many', bson(docs), docs.length);
      const expected = docs.map((doc) => canonical(doc));
      expect(await backups.restore(backup, RestoreMode.MERGE)).toEqual({ restoredCount: docs.length, skippedCount: 0 });
      expectSameDocuments(await snapshot(store), expected);
      expect(await backups.restore(backup, RestoreMode.REPLACE)).toEqual({
        restoredCount: docs.length,
        skippedCount: 0,
      });
      expectSameDocuments(await snapshot(store), expected);
    } finally {
      await store.close();
    }
  });
});
