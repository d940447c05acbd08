import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { MongoClient } from 'mongodb';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { RETENTION_LEASE } from '../src/lifecycle/retention.task';
import { startServer, type ServerHandle } from '../src/app/server';
import { createStore } from '../src/store/create-store';
import { MongoEventStore } from '../src/store/mongo/mongo-event-store';
import { startFerretDb, type FerretDbHandle } from './support/ferretdb';
import { makeDoc } from './support/fixtures';
import { until } from './support/ingest-clients';
import { readDump } from './support/lifecycle';
import { testConfig, uniqueName } from './support/stores';

const DAY = 24 * 3600 * 1000;
/** Old events for the retention task: one per batch, so a run lasts long enough to be cut. */
const OLD_EVENTS = 40;

/** One line the server logged (pino JSON). */
interface LogLine {
  level: number;
  msg: string;
  err?: { message?: string };
  archived?: number;
  backup?: string;
  events?: number;
}

/** A logger that keeps every line, so the test can see what the background tasks did. */
function recordingLogger() {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim() !== '') lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

/** Bounded polling that says what it waited for when it times out. */
async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  try {
    await until(check, timeoutMs);
  } catch {
    throw new Error(`Timed out after ${timeoutMs} ms waiting until ${what}`);
  }
}

describe('background tasks across a MongoDB (FerretDB) outage', () => {
  const ferrets: FerretDbHandle[] = [];
  let server: ServerHandle | null = null;
  let backupDir: string | null = null;
  afterEach(async () => {
    await server?.stop();
    server = null;
    for (const ferret of ferrets.reverse()) await ferret.stop();
    ferrets.length = 0;
    if (backupDir) fs.rmSync(backupDir, { recursive: true, force: true });
  });

  it('retention and scheduled backups fail during the outage, then recover on their own, past the leases they held', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
    try {
      const ferret = await startFerretDb();
      ferrets.push(ferret);
      backupDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-events-outage-backups-'));
      const config = testConfig({
        MONGODB_URI: ferret.uri,
        MONGODB_DATABASE: uniqueName('outage'),
        MONGODB_SERVER_SELECTION_TIMEOUT_MS: '1500',
        RETENTION_ENABLED: 'true',
        SOFT_DELETE_AFTER_DAYS: '90',
        ARCHIVE_BATCH_SIZE: '1',
        MAX_BATCHES_PER_RUN: '0',
        BACKUP_DIR: backupDir,
        // Every second (croner takes a seconds field).
        BACKUP_SCHEDULE: '* * * * * *',
        BACKUP_MAX_COUNT: '5',
      });

      // Events 100 days old, stored before the server starts, so its first retention run finds them.
      const seeded = Array.from({ length: OLD_EVENTS }, (_, i) =>
        makeDoc({ event_timestamp: new Date(Date.now() - 100 * DAY - i * 1000), event_data: { i } }),
      );
      const seeder = new MongoEventStore(config.mongo!);
      await seeder.init();
      expect((await seeder.insertMany(seeded)).insertedIds).toHaveLength(OLD_EVENTS);
      await seeder.close();
      const seededIds = seeded.map((doc) => doc._id).sort();

      const { logger, lines } = recordingLogger();
      const linesSince = (from: number, msg: string) => lines.slice(from).filter((line) => line.msg === msg);
      server = await startServer({ config, store: createStore(config, logger), logger, retentionIntervalMs: 300 });
      const { services, url } = server;
      const archivedCount = () => services.store.count({ archived: true });

      // The first retention run is under way (it holds the lease, one event per batch) and a
      // scheduled backup was written: now the database dies.
      let archivedBeforeKill = 0;
      await waitFor(
        'a first scheduled backup is written',
        () => linesSince(0, 'Scheduled backup written').length > 0,
        30_000,
      );
      for (const deadline = Date.now() + 30_000; archivedBeforeKill === 0 && Date.now() < deadline;) {
        archivedBeforeKill = await archivedCount();
      }
      expect(archivedBeforeKill).toBeGreaterThan(0);
      await ferret.kill();
      const killedAt = lines.length;

      // Both tasks fail during the outage, and go on failing on schedule: the run that was cut,
      // then at least one more retention run, and scheduled backups.
      await waitFor(
        'two retention runs failed',
        () => linesSince(killedAt, 'Retention run failed; it will be retried at the next interval').length >= 2,
        30_000,
      );
      await waitFor(
        'two scheduled backups failed',
        () => linesSince(killedAt, 'Scheduled backup failed; the next one runs on schedule').length >= 2,
        30_000,
      );
      expect(archivedBeforeKill).toBeLessThan(OLD_EVENTS);
      // The cut run could not give its lease back: it is still held, for 10 minutes, at restart.
      expect(linesSince(killedAt, 'Could not release the retention lease; it will expire')).toHaveLength(1);
      expect(linesSince(killedAt, 'Scheduled backup written')).toEqual([]);
      expect(
        linesSince(killedAt, 'Retention run failed; it will be retried at the next interval')[0]!.err?.message,
      ).toBeTruthy();

      const restartedTime = Date.now();
      const restarted = await startFerretDb({ port: ferret.port, dataDir: ferret.dataDir });
      ferrets.push(restarted);
      const restartedAt = lines.length;

      // Retention recovers by itself (same process, same schedule) and archives every old event,
      // long before the lease it held at the outage would have expired.
      await waitFor(
        'a retention run archived events after the restart',
        () => linesSince(restartedAt, 'Retention run archived and deleted events').length > 0,
        60_000,
      );
      expect(await archivedCount()).toBe(OLD_EVENTS);
      const client = new MongoClient(restarted.uri);
      try {
        const lock = await client
          .db(config.mongo!.database)
          .collection<{ _id: string; acquired_at: Date }>('locks')
          .findOne({ _id: RETENTION_LEASE });
        // The lease held at the outage is gone: released at the end of the recovered run, or
        // (runs come every 300 ms) taken since the restart by a later run, never the stale one.
        if (lock) expect(lock.acquired_at.getTime()).toBeGreaterThanOrEqual(restartedTime);
      } finally {
        await client.close();
      }

      // A scheduled backup started after the recovery is written, complete and verified.
      const recoveredAt = lines.length;
      await waitFor(
        'a scheduled backup is written after the recovery',
        () => linesSince(recoveredAt, 'Scheduled backup written').length > 0,
        60_000,
      );
      const written = linesSince(recoveredAt, 'Scheduled backup written')[0]!;
      expect(written.events).toBe(OLD_EVENTS);
      const dumped = readDump(
        path.join(written.backup!, config.backup.database, `${config.backup.collection}.bson.gz`),
      );
      expect(dumped.map((doc) => String(doc._id)).sort()).toEqual(seededIds);
      expect(dumped.every((doc) => doc.archived === true)).toBe(true);

      // The server never went down: it answers over HTTP, and the API sees the archived events.
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ events(filter: { archived: ARCHIVED }) { totalCount } }' }),
      });
      expect(await response.json()).toEqual({ data: { events: { totalCount: OLD_EVENTS } } });

      // Stopped, it leaves only complete backups: none half-written, every one verified.
      await server.stop();
      server = null;
      const backups = await services.backups.list();
      expect(backups.length).toBeGreaterThan(0);
      expect(backups.filter((backup) => !backup.valid)).toEqual([]);
      expect(backups.map((backup) => backup.eventCount)).toEqual(backups.map(() => OLD_EVENTS));
      expect(fs.readdirSync(backupDir).filter((name) => name.startsWith('.'))).toEqual([]);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      process.off('uncaughtException', onUnhandled);
    }
  }, 120_000);
});
