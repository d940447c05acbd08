/**
 * REPLACE restores are atomic: until the swap the stored events are untouched (readable and
 * writable), a restore cut off before or during the swap leaves them exactly as they were, and a
 * restore that succeeds leaves the backup's events plus every event logged while it ran.
 *
 * The faults are real: the backup's data file cut short on disk after it was verified, the
 * MongoDB server (FerretDB) killed during the load, the server process killed during the load.
 * Each is triggered once the restore is seen loading, read straight from the database (rows in
 * the staging table or collection, or stored events gone).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import Database from 'better-sqlite3';
import { print, type GraphQLFormattedError } from 'graphql';
import { MongoClient } from 'mongodb';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { startServer, type ServerHandle } from '../src/app/server';
import { createLogger } from '../src/core/logger';
import { createStore } from '../src/store/create-store';
import type { EventDocument } from '../src/store/event-document';
import type { EventStore } from '../src/store/event-store';
import { MongoEventStore } from '../src/store/mongo/mongo-event-store';
import { SqliteEventStore } from '../src/store/sqlite/sqlite-event-store';
import {
  CreateBackupDocument,
  EventsByIdsDocument,
  LogEventIdsDocument,
  RestoreBackupDocument,
} from './generated/graphql';
import { startFerretDb, type FerretDbHandle } from './support/ferretdb';
import { makeDoc, seededRandom, variedDocs } from './support/fixtures';
import { canonical, expectSameDocuments, fill, snapshot } from './support/lifecycle';
import { startServerProcess, type ServerProcess } from './support/server-process';
import { startTestServer, type TestServer } from './support/server';
import { openStore, STORE_KINDS, testConfig, uniqueName, type StoreKind } from './support/stores';

/** Events in the backup: many on SQLite, fewer on FerretDB (slow); either way several batches. */
const BACKUP_SIZE: Record<StoreKind, number> = { sqlite: 60_000, mongodb: 6_000 };
const ORIGINAL_SIZE = 400;
/** Events per logging call of the concurrent clients. */
const LOG_BATCH = 5;

const tempDir = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), `lab-events-${prefix}-`));

/**
 * Events whose payload does not compress away, so that a backup's data file is far bigger than
 * what a read stream buffers ahead (cutting the file short then cuts the restore short): about
 * 80 bytes per event on SQLite, 300 on FerretDB, where the backup holds fewer events.
 */
function bulkyDocs(kind: StoreKind, seed: number): EventDocument[] {
  const random = seededRandom(seed);
  const chunks = kind === 'sqlite' ? 6 : 24;
  return variedDocs(BACKUP_SIZE[kind], seed).map((doc, i) =>
    makeDoc({
      ...doc,
      event_data: { i, noise: Array.from({ length: chunks }, () => random().toString(36).slice(2)).join('') },
    }),
  );
}

/**
 * The stored events before a restore: their own events (some archived), plus a few with ids of
 * the backup's but other contents, which the restore must replace by the backup's.
 */
function originalDocs(backup: readonly EventDocument[]): EventDocument[] {
  const own = variedDocs(ORIGINAL_SIZE, 99);
  const shared = [0, 1, 2].map((n) => ({
    ...backup[Math.floor((n * backup.length) / 3) + 7]!,
    event_type: 'changed_since_the_backup',
    log_level: 50,
  }));
  return [...own, ...shared];
}

/** Ids spread over the whole list (first, middle and last batches alike). */
function spread(ids: readonly string[], count: number): string[] {
  return Array.from({ length: count }, (_, i) => ids[Math.floor((i * ids.length) / count)]!);
}

/** Polls `check` until it holds (bounded). */
async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** What a restore leaves in the database beside the events, read without any of the server's code. */
interface Traces {
  /** Names of the restore's objects: SQLite tables and triggers `restore_*`, MongoDB collections `events_restore_*` / `events_replaced_*`. */
  objects(): Promise<string[]>;
  /** Documents in the staging table or collection (0 when there is none). */
  staged(): Promise<number>;
  /** Whether the restore captures events logged meanwhile (SQLite: its trigger; MongoDB: it holds the replace lease). */
  capturing(): Promise<boolean>;
  /** How many of these ids are stored events. */
  storedCount(ids: readonly string[]): Promise<number>;
  close(): Promise<void>;
}

function sqliteTraces(file: string): Traces {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  const objects = () =>
    (
      db.prepare(`SELECT name FROM sqlite_master WHERE name LIKE 'restore\\_%' ESCAPE '\\' ORDER BY name`).all() as {
        name: string;
      }[]
    ).map((row) => row.name);
  return {
    objects: async () => objects(),
    staged: async () => {
      const table = objects().find((name) => name.startsWith('restore_staging_'));
      try {
        return table ? (db.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n : 0;
      } catch {
        return 0; // dropped meanwhile
      }
    },
    capturing: async () => objects().some((name) => name.startsWith('restore_capture_')),
    storedCount: async (ids) =>
      (
        db
          .prepare('SELECT count(*) AS n FROM events WHERE id IN (SELECT value FROM json_each(?))')
          .get(JSON.stringify(ids)) as { n: number }
      ).n,
    close: async () => {
      db.close();
    },
  };
}

async function mongoTraces(uri: string, database: string): Promise<Traces> {
  const client = await new MongoClient(uri, { serverSelectionTimeoutMS: 1500 }).connect();
  const db = client.db(database);
  const objects = async () =>
    (await db.listCollections({}, { nameOnly: true }).toArray())
      .map((c) => c.name)
      .filter((name) => /^events_(restore|replaced)_/.test(name))
      .sort();
  return {
    objects,
    staged: async () => {
      const staging = (await objects()).find((name) => name.startsWith('events_restore_'));
      return staging ? db.collection(staging).countDocuments() : 0;
    },
    capturing: async () =>
      (await db
        .collection<{ _id: string; expires_at: Date }>('locks')
        .countDocuments({ _id: 'replace-all', expires_at: { $gt: new Date() } })) > 0,
    storedCount: (ids) => db.collection<{ _id: string }>('events').countDocuments({ _id: { $in: [...ids] } }),
    close: () => client.close(),
  };
}

function tracesOf(server: { services: ServerHandle['services'] }): Promise<Traces> {
  const { config } = server.services;
  return config.mongo
    ? mongoTraces(config.mongo.uri, config.mongo.database)
    : Promise.resolve(sqliteTraces(path.join(config.dataDir, 'events.db')));
}

/** The restore has begun writing: rows staged, or (as a restore that is not atomic would) stored events removed. */
async function loading(traces: Traces, originalIds: readonly string[]): Promise<boolean> {
  return (await traces.staged()) > 0 || (await traces.storedCount(originalIds)) < originalIds.length;
}

/** A typed GraphQL call over HTTP to any server URL. */
async function gql<T, V>(
  url: string,
  document: TypedDocumentNode<T, V>,
  variables?: V,
): Promise<{ data?: T | null; errors?: GraphQLFormattedError[] }> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: print(document), variables }),
  });
  return (await response.json()) as { data?: T | null; errors?: GraphQLFormattedError[] };
}

/** Every stored document by id, as canonical text. */
async function byId(store: EventStore): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const doc of store.stream({}, { order: { field: 'event_timestamp', direction: 1 }, chunkSize: 5000 }))
    out.set(doc._id, canonical(doc));
  return out;
}

/** When a logging call was sent or acknowledged, relative to the restore. */
type Phase = 'before' | 'requested' | 'capturing' | 'after';

interface LogCall {
  ids: string[];
  sent: Phase;
  /** Null until acknowledged (every event inserted). */
  acknowledged: Phase | null;
  error: string | null;
}

/** Clients logging small batches in a loop, each call stamped with the phase it was sent and acknowledged in. */
function startLogging(
  server: TestServer,
  phase: () => Phase,
  clients: number,
  batchSize: number,
): { calls: LogCall[]; stop: () => Promise<void> } {
  const calls: LogCall[] = [];
  let stopped = false;
  const loop = async (client: number) => {
    for (let n = 0; !stopped; n++) {
      const call: LogCall = {
        ids: Array.from({ length: batchSize }, (_, i) => `logged-c${client}-b${n}-${i}`),
        sent: phase(),
        acknowledged: null,
        error: null,
      };
      calls.push(call);
      try {
        const { data, errors } = await server.gql(LogEventIdsDocument, {
          events: call.ids.map((id) => ({ id, eventType: 'LOG_INFO' as const, eventData: { client, n } })),
        });
        if (data?.logEvents.insertedCount === batchSize) call.acknowledged = phase();
        else call.error = JSON.stringify({ data, errors }).slice(0, 300);
      } catch (error) {
        call.error = String(error);
      }
      // A pause between calls: the restore shares this process's event loop with the clients.
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const done = Promise.all(Array.from({ length: clients }, (_, client) => loop(client)));
  return {
    calls,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

describe.each(STORE_KINDS)('atomic REPLACE restore on %s', (kind) => {
  let server: TestServer;
  let traces: Traces;
  let backupDir: string;
  let backupPath: string;
  let backup: EventDocument[];
  let backupById: Map<string, string>;

  beforeAll(async () => {
    backupDir = tempDir('restore-atomic');
    server = await startTestServer(kind, { BACKUP_DIR: backupDir });
    backup = bulkyDocs(kind, 5);
    expect(await fill(server.handle.services.store, backup)).toBe(backup.length);
    backupById = await byId(server.handle.services.store);
    backupPath = (await server.ok(CreateBackupDocument, { description: 'atomic' })).createBackup.path;
    traces = await tracesOf(server.handle);
  }, 300_000);
  afterAll(async () => {
    await traces?.close();
    await server?.stop();
    fs.rmSync(backupDir, { recursive: true, force: true });
  });

  /** Makes the store hold the original events again; returns them as stored. */
  async function resetToOriginals(): Promise<{ ids: string[]; snapshot: string[] }> {
    const store = server.handle.services.store;
    await store.deleteMany({});
    const originals = originalDocs(backup);
    await fill(store, originals);
    return { ids: originals.map((doc) => doc._id), snapshot: await snapshot(store) };
  }

  it(
    'a restore cut off midway (the data file cut short while it loads) leaves every stored event as it was',
    { timeout: 180_000 },
    async () => {
      const before = await resetToOriginals();
      const originalOnly = before.ids.filter((id) => !backupById.has(id));
      // A copy of the backup, to be damaged once the restore has verified it and begun loading.
      const damaged = path.join(backupDir, `${path.basename(backupPath)}_to_be_cut`);
      fs.cpSync(backupPath, damaged, { recursive: true });
      const dataFile = path.join(damaged, server.handle.services.config.backup.database, 'events.bson.gz');

      const restore = server.gql(RestoreBackupDocument, { path: damaged, mode: 'REPLACE' });
      await waitFor(() => loading(traces, originalOnly), 'the restore loads');
      fs.truncateSync(dataFile, 0);
      const { data, errors } = await restore;

      expectSameDocuments(await snapshot(server.handle.services.store), before.snapshot);
      expect(data).toBeNull();
      expect(errors?.[0]).toMatchObject({
        extensions: { code: 'BAD_USER_INPUT', field: 'path' },
        // The file is read once, loaded beside the events and checked as it is read: refused as damaged.
        message: expect.stringMatching(/cannot be restored: checksum mismatch in .*Nothing was changed/),
      });
      expect(await traces.objects()).toEqual([]);
    },
  );

  it(
    'swaps the backup in at once while clients log, keeping every event logged since the restore began',
    { timeout: 180_000 },
    async () => {
      const store = server.handle.services.store;
      const before = await resetToOriginals();
      const originalOnly = before.ids.filter((id) => !backupById.has(id));
      const backupIds = [...backupById.keys()];
      // Logged while the restore runs with ids of the backup's: the logged events win.
      const colliding = spread(backupIds, 5).map((id, i) => backupIds[backupIds.indexOf(id) + 3 + i]!);
      const backupOnly = backupIds.filter((id) => !before.ids.includes(id) && !colliding.includes(id));
      const sample = { original: spread(originalOnly, 100), backup: spread(backupOnly, 100) };

      let phase: Phase = 'before';
      const logging = startLogging(server, () => phase, kind === 'sqlite' ? 4 : 1, LOG_BATCH);
      await waitFor(
        async () => logging.calls.filter((call) => call.acknowledged === 'before').length >= 4,
        'clients log',
      );

      phase = 'requested';
      let finished = false;
      const restore = server
        .gql(RestoreBackupDocument, { path: backupPath, mode: 'REPLACE' })
        .finally(() => (finished = true));
      // A reader sees the original events, all of them, until it sees the backup's, all of them.
      // Its last read is sent once the restore has answered, so it always sees what the restore left:
      // the swap holds the event loop, and the reads before it may all have been answered before it.
      const observations: { original: number; backup: number }[] = [];
      const reading = (async () => {
        for (let last = false; !last;) {
          last = finished;
          const { eventsByIds } = await server.ok(EventsByIdsDocument, { ids: [...sample.original, ...sample.backup] });
          const found = new Set(eventsByIds.flatMap((event) => (event ? [event.id] : [])));
          observations.push({
            original: sample.original.filter((id) => found.has(id)).length,
            backup: sample.backup.filter((id) => found.has(id)).length,
          });
          if (!last) await new Promise((resolve) => setTimeout(resolve, 10));
        }
      })();
      await waitFor(
        async () => (await traces.capturing()) || (await loading(traces, originalOnly)),
        'the restore captures',
      );
      phase = 'capturing';
      const logged = await server.ok(LogEventIdsDocument, {
        events: colliding.map((id) => ({
          id,
          eventType: 'LOG_INFO' as const,
          eventData: { logged: 'while the restore ran' },
        })),
      });
      expect(logged.logEvents).toEqual({ insertedCount: colliding.length, duplicateCount: 0 });
      const { data, errors } = await restore;
      phase = 'after';
      await reading;
      await logging.stop();

      expect(errors).toBeUndefined();
      expect(data?.restoreBackup).toEqual({
        restoredCount: backupIds.length - colliding.length,
        skippedCount: colliding.length,
      });
      expect(logging.calls.filter((call) => call.error !== null)).toEqual([]);
      const states = observations.map(({ original, backup }) =>
        original === sample.original.length && backup === 0
          ? 'before'
          : original === 0 && backup === sample.backup.length
            ? 'after'
            : `mixed: ${original} original, ${backup} backup`,
      );
      expect(states.filter((state) => state !== 'before' && state !== 'after')).toEqual([]);
      // Runs of equal states: 'before' first, then 'after' (the last read's), never 'before' again.
      expect(states.filter((state, i) => i === 0 || state !== states[i - 1])).toEqual(['before', 'after']);

      const stored = await byId(store);
      // The backup's events, identical (the originals sharing their ids replaced) ...
      for (const id of backupIds.filter((id) => !colliding.includes(id)))
        if (stored.get(id) !== backupById.get(id))
          expect({ id, doc: stored.get(id) }).toEqual({ id, doc: backupById.get(id) });
      // ... except those logged with the same ids while the restore ran ...
      for (const id of colliding)
        expect(JSON.parse(stored.get(id)!)).toMatchObject({ _id: id, event_data: { logged: 'while the restore ran' } });
      // ... plus every call sent once the restore was capturing; none acknowledged before it was asked
      // for; calls straddling its start kept whole or not at all.
      const loggedLater = logging.calls.filter((call) => call.sent === 'capturing' || call.sent === 'after');
      expect(
        logging.calls.filter((call) => call.sent === 'capturing' && call.acknowledged === 'capturing').length,
      ).toBeGreaterThan(0);
      const straddling = logging.calls.filter(
        (call) => call.sent !== 'capturing' && call.sent !== 'after' && call.acknowledged !== 'before',
      );
      expect(loggedLater.flatMap((call) => call.ids).filter((id) => !stored.has(id))).toEqual([]);
      expect(
        logging.calls
          .filter((call) => call.acknowledged === 'before')
          .flatMap((call) => call.ids)
          .filter((id) => stored.has(id)),
      ).toEqual([]);
      for (const call of straddling)
        expect([0, call.ids.length]).toContain(call.ids.filter((id) => stored.has(id)).length);
      const keptStraddling = straddling.filter((call) => stored.has(call.ids[0]!)).flatMap((call) => call.ids);
      expect(stored.size).toBe(backupIds.length + loggedLater.length * LOG_BATCH + keptStraddling.length);
      expect(originalOnly.filter((id) => stored.has(id))).toEqual([]);
      expect(await traces.objects()).toEqual([]);
    },
  );
});

describe('REPLACE cut off by a MongoDB outage (FerretDB killed during the load)', () => {
  const ferrets: FerretDbHandle[] = [];
  let handle: ServerHandle | null = null;
  let traces: Traces | null = null;
  let backupDir: string | null = null;
  afterEach(async () => {
    await traces?.close();
    await handle?.stop();
    for (const ferret of ferrets.reverse()) await ferret.stop();
    if (backupDir) fs.rmSync(backupDir, { recursive: true, force: true });
  });

  it(
    'leaves every stored event as it was; the next restore drops the staging collection and succeeds',
    { timeout: 300_000 },
    async () => {
      const ferret = await startFerretDb();
      ferrets.push(ferret);
      backupDir = tempDir('restore-outage');
      const database = uniqueName('outage');
      const config = testConfig({
        MONGODB_URI: ferret.uri,
        MONGODB_DATABASE: database,
        MONGODB_SERVER_SELECTION_TIMEOUT_MS: '1500',
        BACKUP_DIR: backupDir,
      });
      const logger = createLogger('silent');
      handle = await startServer({ config, store: createStore(config, logger), logger });
      const { store } = handle.services;
      const url = handle.url;
      traces = await mongoTraces(ferret.uri, database);

      const backup = bulkyDocs('mongodb', 6);
      await fill(store, backup);
      const backupSnapshot = await snapshot(store);
      const created = await gql(url, CreateBackupDocument, { description: 'outage' });
      const backupPath = created.data!.createBackup.path;
      await store.deleteMany({});
      const originals = originalDocs(backup);
      await fill(store, originals);
      await store.setArchived(
        originals.slice(0, 10).map((doc) => doc._id),
        new Date(Date.UTC(2025, 6, 1)),
      );
      const before = await snapshot(store);
      const indexes = await listIndexes(ferret.uri, database);

      const restore = gql(url, RestoreBackupDocument, { path: backupPath, mode: 'REPLACE' });
      await waitFor(
        () =>
          loading(
            traces!,
            originals.map((doc) => doc._id),
          ),
        'the restore loads',
      );
      await ferret.kill();
      const failed = await restore;

      const restarted = await startFerretDb({ port: ferret.port, dataDir: ferret.dataDir });
      ferrets.push(restarted);
      await waitFor(async () => (await store.ping()).connected, 'the server reconnects');
      expectSameDocuments(await snapshot(store), before);
      expect(failed.data).toBeNull();
      expect(failed.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      // The load was cut off: its staging collection is still there (the database was gone).
      expect(await traces.objects()).toEqual([expect.stringMatching(/^events_restore_/)]);
      expect(await listIndexes(ferret.uri, database)).toEqual(indexes);

      const again = await gql(url, RestoreBackupDocument, { path: backupPath, mode: 'REPLACE' });
      expect(again.errors).toBeUndefined();
      expect(again.data?.restoreBackup).toEqual({ restoredCount: backup.length, skippedCount: 0 });
      expectSameDocuments(await snapshot(store), backupSnapshot);
      expect(await traces.objects()).toEqual([]);
      // The swapped-in collection has the events' indexes.
      expect(await listIndexes(ferret.uri, database)).toEqual(indexes);
    },
  );
});

/** Index names of a database's events collection, sorted. */
async function listIndexes(uri: string, database: string): Promise<string[]> {
  const client = await new MongoClient(uri).connect();
  try {
    return (await client.db(database).collection('events').indexes()).map((index) => String(index.name)).sort();
  } finally {
    await client.close();
  }
}

describe('REPLACE cut off by a crash of the server (SIGKILL during the load, SQLite)', () => {
  const processes: ServerProcess[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
    processes.length = 0;
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it(
    'leaves every stored event as it was; the restarted server drops what the restore left in the file',
    { timeout: 300_000 },
    async () => {
      const dataDir = tempDir('restore-crash');
      const backupDir = tempDir('restore-crash-backups');
      dirs.push(dataDir, backupDir);
      const file = path.join(dataDir, 'events.db');
      // LOG_LEVEL info: startServerProcess waits for the "listening" line.
      const env = { DATA_DIR: dataDir, BACKUP_DIR: backupDir, LOG_LEVEL: 'info' };
      const start = async () => {
        const server = await startServerProcess(env);
        processes.push(server);
        return server;
      };
      const withStore = async <T>(use: (store: EventStore) => Promise<T>): Promise<T> => {
        const store = new SqliteEventStore(file);
        await store.init();
        try {
          return await use(store);
        } finally {
          await store.close();
        }
      };

      // A backup, taken by a server over the backup's events.
      const backup = bulkyDocs('sqlite', 8);
      await withStore((store) => fill(store, backup));
      const first = await start();
      const backupPath = (await gql(first.url, CreateBackupDocument, { description: 'crash' })).data!.createBackup.path;
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);

      // Other events stored since.
      for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${file}${suffix}`, { force: true });
      const originals = originalDocs(backup);
      const before = await withStore(async (store) => {
        await fill(store, originals);
        await store.setArchived(
          originals.slice(0, 10).map((doc) => doc._id),
          new Date(Date.UTC(2025, 6, 1)),
        );
        return snapshot(store);
      });

      const second = await start();
      const traces = sqliteTraces(file);
      try {
        const restore = gql(second.url, RestoreBackupDocument, { path: backupPath, mode: 'REPLACE' }).catch(
          (error: unknown) => ({ cutOff: String(error) }),
        );
        await waitFor(
          () =>
            loading(
              traces,
              originals.map((doc) => doc._id),
            ),
          'the restore loads',
        );
        second.child.kill('SIGKILL');
        expect(await second.exited).toBeNull();
        expect(await restore).toMatchObject({ cutOff: expect.any(String) });
        // Every original event is still stored (read from the file, before any server opens it again).
        expect(await traces.storedCount(originals.map((doc) => doc._id))).toBe(originals.length);
        // The crash left the staging table, the capture table and its trigger in the file.
        expect((await traces.objects()).map((name) => name.replace(/_[^_]+_[^_]+$/, ''))).toEqual([
          'restore_capture',
          'restore_captured',
          'restore_staging',
        ]);

        const third = await start();
        expect(await traces.objects()).toEqual([]);
        // Logging goes on as before (no trigger left behind).
        const logged = await gql(third.url, LogEventIdsDocument, {
          events: [{ id: 'after-the-crash', eventType: 'LOG_INFO', eventData: {} }],
        });
        expect(logged.data?.logEvents).toEqual({ insertedCount: 1, duplicateCount: 0 });
        third.child.kill('SIGTERM');
        expect(await third.exited).toBe(0);
      } finally {
        await traces.close();
      }
      await withStore(async (store) => {
        await store.deleteMany({ _id: 'after-the-crash' });
        expectSameDocuments(await snapshot(store), before);
      });
      const db = new Database(file, { readonly: true });
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      } finally {
        db.close();
      }
    },
  );
});

describe.each(STORE_KINDS)('EventStore.replaceAll on %s', (kind) => {
  let store: EventStore;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ store, dispose } = await openStore(kind));
  });
  afterAll(async () => {
    await dispose?.();
  });

  const batchesOf = async function* (
    docs: readonly EventDocument[],
    size: number,
    between?: (index: number) => Promise<void>,
  ) {
    for (let i = 0; i < docs.length; i += size) {
      yield docs.slice(i, i + size);
      await between?.(i / size);
    }
  };

  it('keeps the events stored while it loads (they win over loaded ones of the same id) and counts repeats and those as skipped', async () => {
    await store.deleteMany({});
    const stored = variedDocs(30, 1);
    await fill(store, stored);
    const incoming = variedDocs(50, 2);
    const repeated = incoming.slice(0, 4).map((doc) => ({ ...doc, log_level: 99 }));
    const duringLoad = [
      makeDoc({ event_data: { logged: 'during the load' } }),
      makeDoc({ event_data: { logged: 'and archived' } }),
    ];
    const overriding = {
      ...incoming[10]!,
      event_data: { logged: 'with a loaded id' },
      search_text: 'logged with a loaded id',
    };
    const deleted = makeDoc({ _id: incoming[20]!._id, event_data: { logged: 'then deleted' } });

    const result = await store.replaceAll(
      batchesOf([...incoming, ...repeated], 10, async (index) => {
        if (index === 1) await store.insertMany([...duringLoad, overriding, deleted]);
        if (index === 2) {
          expect(await store.count({})).toBe(stored.length + 4);
          await store.setArchived([duringLoad[1]!._id], new Date(Date.UTC(2025, 1, 1)));
          await store.deleteMany({ _id: deleted._id });
          // Stored events are untouched while it loads.
          expect((await store.findByIds(stored.map((doc) => doc._id))).length).toBe(stored.length);
        }
      }),
    );

    expect(result).toEqual({ insertedCount: incoming.length - 1, skippedCount: repeated.length + 1 });
    const after = await byId(store);
    const expected = new Map([...incoming.map((doc): [string, string] => [doc._id, canonical(doc)])]);
    expected.set(overriding._id, canonical(overriding));
    for (const doc of duringLoad) expected.set(doc._id, canonical(doc));
    expected.set(
      duringLoad[1]!._id,
      canonical({ ...duringLoad[1]!, archived: true, archived_at: new Date(Date.UTC(2025, 1, 1)) }),
    );
    expect([...after.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [id, doc] of expected) expect({ id, doc: after.get(id) }).toEqual({ id, doc });
  });

  it('changes nothing when the documents fail midway, and leaves nothing beside the events', async () => {
    await store.deleteMany({});
    await fill(store, variedDocs(25, 3));
    const before = await snapshot(store);
    const failing = async function* () {
      yield variedDocs(10, 4);
      await store.insertMany([makeDoc({ _id: 'logged-before-the-failure' })]);
      throw new Error('the backup could not be read');
    };
    await expect(store.replaceAll(failing())).rejects.toThrow('the backup could not be read');
    await store.deleteMany({ _id: 'logged-before-the-failure' });
    expectSameDocuments(await snapshot(store), before);
    // A later replace starts afresh.
    const result = await store.replaceAll(batchesOf(variedDocs(12, 5), 5));
    expect(result).toEqual({ insertedCount: 12, skippedCount: 0 });
    expect(await store.count({})).toBe(12);
  });
});

describe('MongoDB: leftovers of a REPLACE cut off between its two renames (FerretDB has no dropTarget)', () => {
  const uri = () => inject('mongoUri');
  let client: MongoClient;
  const databases: string[] = [];
  beforeAll(async () => {
    client = await new MongoClient(uri()).connect();
  });
  afterAll(async () => {
    for (const name of databases) await client.db(name).dropDatabase();
    await client.close();
  });

  async function initStore(database: string): Promise<void> {
    const store = new MongoEventStore({ uri: uri(), database, collection: 'events' });
    await store.init();
    await store.close();
  }
  const ids = async (database: string, collection: string) =>
    (
      await client
        .db(database)
        .collection<{ _id: string }>(collection)
        .find({}, { projection: { _id: 1 } })
        .toArray()
    )
      .map((doc) => doc._id)
      .sort();
  const collections = async (database: string) =>
    (await client.db(database).listCollections({}, { nameOnly: true }).toArray())
      .map((c) => c.name)
      .filter((name) => name !== 'locks')
      .sort();

  it('init puts the set-aside events back (with events written meanwhile) when the staging collection never took their name', async () => {
    const database = uniqueName('leftover');
    databases.push(database);
    const db = client.db(database);
    const live = variedDocs(20, 1);
    await db.collection<EventDocument>('events_replaced_t1').insertMany(live);
    await db.collection<EventDocument>('events_restore_t1').insertMany(variedDocs(15, 2));
    // Another instance logged into the gap: the collection came back with its event.
    const gap = makeDoc({ _id: 'logged-in-the-gap' });
    await db.collection<EventDocument>('events').insertOne(gap);

    await initStore(database);

    expect(await collections(database)).toEqual(['events']);
    expect(await ids(database, 'events')).toEqual([...live.map((doc) => doc._id), gap._id].sort());
  });

  it('init drops the set-aside events of a swap that completed', async () => {
    const database = uniqueName('leftover');
    databases.push(database);
    const db = client.db(database);
    const swappedIn = variedDocs(10, 3);
    await db.collection<EventDocument>('events').insertMany(swappedIn);
    await db.collection<EventDocument>('events_replaced_t2').insertMany(variedDocs(20, 4));

    await initStore(database);

    expect(await collections(database)).toEqual(['events']);
    expect(await ids(database, 'events')).toEqual(swappedIn.map((doc) => doc._id).sort());
  });
});
