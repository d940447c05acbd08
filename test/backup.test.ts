import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { EJSON } from 'bson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BackupStatusDocument,
  CreateBackupDocument,
  EventsCountDocument,
  LogEventDocument,
  RestoreBackupDocument,
} from './generated/graphql';
import { backupFixture, canonical, expectSameDocuments, fill, readDump, snapshot } from './support/lifecycle';
import { startTestServer, type TestServer } from './support/server';
import { STORE_KINDS, type StoreKind } from './support/stores';

/** Many events on SQLite; fewer on FerretDB, which is slow. */
const SIZE: Record<StoreKind, number> = { sqlite: 100_000, mongodb: 2_000 };

const tempDir = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), `lab-events-${prefix}-`));

async function totalEvents(server: TestServer): Promise<number> {
  return (await server.ok(EventsCountDocument, { filter: { archived: 'ALL' } })).events.totalCount;
}

describe.each(STORE_KINDS)('backup and restore of many events on %s', (kind) => {
  let server: TestServer;
  let backupDir: string;
  let original: string[];

  beforeAll(async () => {
    backupDir = tempDir('backups');
    server = await startTestServer(kind, { BACKUP_DIR: backupDir, MONGODB_DATABASE: `lab_${Date.now().toString(36)}` });
    expect(await fill(server.handle.services.store, backupFixture(SIZE[kind]))).toBe(SIZE[kind]);
    original = await snapshot(server.handle.services.store);
  }, 300_000);
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(backupDir, { recursive: true, force: true });
  });

  it(
    "writes mongodump's layout, restores every document identical after a wipe, merges and replaces",
    { timeout: 300_000 },
    async () => {
      const started = Date.now();
      const { createBackup } = await server.ok(CreateBackupDocument, { description: 'before the wipe' });
      expect(createBackup).toMatchObject({
        description: 'before the wipe',
        eventCount: SIZE[kind],
        valid: true,
        status: 'completed',
      });
      expect(path.dirname(createBackup.path)).toBe(fs.realpathSync(backupDir));
      expect(path.basename(createBackup.path)).toMatch(/_backup_\d{8}_\d{6}_\d{6}_before_the_wipe$/);
      expect(Date.parse(createBackup.createdAt)).toBeGreaterThanOrEqual(started - 1000);

      // mongodump --gzip layout: <db>/<collection>.bson.gz and .metadata.json.gz, plus our manifest.
      const database = server.handle.services.config.backup.database;
      const dataFile = path.join(createBackup.path, database, 'events.bson.gz');
      const metadataText = zlib
        .gunzipSync(fs.readFileSync(path.join(createBackup.path, database, 'events.metadata.json.gz')))
        .toString('utf8');
      // Canonical extended JSON, as mongodump writes it (mongorestore reads metadata canonical-only).
      expect(metadataText).toContain(
        '"indexes":[{"v":{"$numberInt":"2"},"key":{"_id":{"$numberInt":"1"}},"name":"_id_"}]',
      );
      const metadata = EJSON.parse(metadataText);
      expect(metadata).toMatchObject({
        options: {},
        indexes: [{ v: 2, key: { _id: 1 }, name: '_id_' }],
        collectionName: 'events',
        type: 'collection',
      });
      const manifest = JSON.parse(fs.readFileSync(path.join(createBackup.path, 'manifest.json'), 'utf8'));
      expect(manifest).toMatchObject({
        format: 'lab-events-backup',
        formatVersion: 1,
        eventCount: SIZE[kind],
        description: 'before the wipe',
        engine: kind,
      });
      expect(manifest.files.map((f: { path: string }) => f.path).sort()).toEqual([
        `${database}/events.bson.gz`,
        `${database}/events.metadata.json.gz`,
      ]);
      const sizes = fs.statSync(dataFile).size + fs.statSync(path.join(createBackup.path, 'manifest.json')).size;
      expect(createBackup.sizeBytes).toBeGreaterThan(sizes);

      // The data file is plain BSON documents in MADSci's stored shape, with BSON dates.
      const dumped = readDump(dataFile);
      expect(dumped).toHaveLength(SIZE[kind]);
      expect(dumped[0]).toMatchObject({
        _id: expect.any(String),
        event_type: expect.any(String),
        log_level: expect.any(Number),
        event_timestamp: expect.any(Date),
        source: expect.any(Object),
      });
      expectSameDocuments(dumped.map(canonical), original);

      // Wipe, restore: every document back, every field identical.
      await server.handle.services.store.deleteMany({});
      expect(await totalEvents(server)).toBe(0);
      const merged = await server.ok(RestoreBackupDocument, { path: createBackup.path });
      expect(merged.restoreBackup).toEqual({ restoredCount: SIZE[kind], skippedCount: 0 });
      expectSameDocuments(await snapshot(server.handle.services.store), original);

      // MERGE again: every id is stored, so every event is skipped.
      const again = await server.ok(RestoreBackupDocument, { path: path.basename(createBackup.path), mode: 'MERGE' });
      expect(again.restoreBackup).toEqual({ restoredCount: 0, skippedCount: SIZE[kind] });

      // REPLACE: events logged since the backup are gone, the backup's are back.
      await server.ok(LogEventDocument, { event: { eventData: { message: 'after the backup' } } });
      const replaced = await server.ok(RestoreBackupDocument, { path: createBackup.path, mode: 'REPLACE' });
      expect(replaced.restoreBackup).toEqual({ restoredCount: SIZE[kind], skippedCount: 0 });
      expectSameDocuments(await snapshot(server.handle.services.store), original);
    },
  );
});

describe('moving between stores through a backup', () => {
  const COUNT = 2_000;
  let backupDir: string;
  let servers: TestServer[] = [];

  beforeAll(() => {
    backupDir = tempDir('backups-move');
  });
  afterAll(async () => {
    for (const server of servers) await server.stop();
    fs.rmSync(backupDir, { recursive: true, force: true });
  });

  it(
    'restores a SQLite backup into MongoDB and that one back into SQLite, every document identical',
    { timeout: 300_000 },
    async () => {
      // Three servers share BACKUP_DIR: the embedded store, MongoDB, and a fresh embedded store.
      const env = { BACKUP_DIR: backupDir };
      const [sqlite, mongo, sqliteAgain] = (servers = [
        await startTestServer('sqlite', env),
        await startTestServer('mongodb', env),
        await startTestServer('sqlite', env),
      ]);
      await fill(sqlite!.handle.services.store, backupFixture(COUNT));
      const original = await snapshot(sqlite!.handle.services.store);

      const fromSqlite = (await sqlite!.ok(CreateBackupDocument, { description: 'sqlite' })).createBackup;
      expect((await mongo!.ok(RestoreBackupDocument, { path: fromSqlite.path })).restoreBackup).toEqual({
        restoredCount: COUNT,
        skippedCount: 0,
      });
      expectSameDocuments(await snapshot(mongo!.handle.services.store), original);

      const fromMongo = (await mongo!.ok(CreateBackupDocument, { description: 'mongodb' })).createBackup;
      expect(fromMongo).toMatchObject({ eventCount: COUNT, valid: true });
      expect((await sqliteAgain!.ok(RestoreBackupDocument, { path: fromMongo.path })).restoreBackup).toEqual({
        restoredCount: COUNT,
        skippedCount: 0,
      });
      expectSameDocuments(await snapshot(sqliteAgain!.handle.services.store), original);
    },
  );
});

describe.each(STORE_KINDS)('backups on %s', (kind) => {
  let server: TestServer;
  let backupDir: string;
  let outside: string;

  beforeAll(async () => {
    backupDir = tempDir('backups');
    outside = tempDir('outside');
    server = await startTestServer(kind, { BACKUP_DIR: backupDir, BACKUP_MAX_COUNT: '3' });
    await fill(server.handle.services.store, backupFixture(40));
  });
  afterAll(async () => {
    await server?.stop();
    for (const dir of [backupDir, outside]) fs.rmSync(dir, { recursive: true, force: true });
  });

  const create = async (description: string) => (await server.ok(CreateBackupDocument, { description })).createBackup;
  const status = async () => (await server.ok(BackupStatusDocument)).backupStatus;
  async function refusal(backupPath: string, mode: 'MERGE' | 'REPLACE' = 'MERGE') {
    const { errors, data } = await server.gql(RestoreBackupDocument, { path: backupPath, mode });
    expect(data).toBeNull();
    return errors?.[0];
  }

  it('lists backups newest first with size, count and validity, and keeps only the newest N', async () => {
    const made = [];
    for (const n of [1, 2, 3, 4, 5]) made.push(await create(`rotation ${n}`));
    const { enabled, directory, maxBackups, schedule, backups } = await status();
    expect({ enabled, directory, maxBackups, schedule }).toEqual({
      enabled: false,
      directory: backupDir,
      maxBackups: 3,
      schedule: null,
    });
    expect(backups.map((b) => b.description)).toEqual(['rotation 5', 'rotation 4', 'rotation 3']);
    expect(backups).toEqual(made.slice(2).reverse());
    for (const backup of backups)
      expect(backup).toMatchObject({ eventCount: 40, valid: true, status: 'completed', sizeBytes: expect.any(Number) });
    expect(fs.existsSync(made[0]!.path) || fs.existsSync(made[1]!.path)).toBe(false);
  });

  it('reports a backup with one flipped byte as invalid and refuses to restore it, changing nothing', async () => {
    const backup = await create('to be damaged');
    const database = server.handle.services.config.backup.database;
    const dataFile = path.join(backup.path, database, 'events.bson.gz');
    const bytes = fs.readFileSync(dataFile);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    fs.writeFileSync(dataFile, bytes);

    const listed = (await status()).backups.find((b) => b.path === backup.path)!;
    expect(listed).toMatchObject({ valid: false, status: `invalid: checksum mismatch in ${database}/events.bson.gz` });
    await server.ok(LogEventDocument, { event: { id: 'logged-after-the-backup' } });
    const before = await snapshot(server.handle.services.store);
    for (const mode of ['MERGE', 'REPLACE'] as const) {
      const error = await refusal(backup.path, mode);
      expect(error?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'path' });
      expect(error?.message).toMatch(/checksum mismatch.*Nothing was changed/);
    }
    expectSameDocuments(await snapshot(server.handle.services.store), before);

    // Even with the manifest's checksum made to match, the damaged file does not parse: refused.
    const manifestFile = path.join(backup.path, 'manifest.json');
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
    const crypto = await import('node:crypto');
    for (const file of manifest.files)
      if (file.path.endsWith('.bson.gz')) file.sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
    fs.writeFileSync(manifestFile, JSON.stringify(manifest));
    expect((await status()).backups.find((b) => b.path === backup.path)).toMatchObject({ valid: true });
    const error = await refusal(backup.path, 'REPLACE');
    expect(error?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'path' });
    expectSameDocuments(await snapshot(server.handle.services.store), before);
  });

  it('refuses paths outside the backup directory', async () => {
    const good = await create('reachable');
    // A copy of a valid backup outside BACKUP_DIR, and a link to it inside.
    const copy = path.join(outside, path.basename(good.path));
    fs.cpSync(good.path, copy, { recursive: true });
    fs.symlinkSync(copy, path.join(backupDir, 'linked-backup'));
    // A backup whose manifest names a file outside it.
    const escaping = path.join(backupDir, 'escaping');
    fs.cpSync(good.path, escaping, { recursive: true });
    const manifest = JSON.parse(fs.readFileSync(path.join(escaping, 'manifest.json'), 'utf8'));
    manifest.files[0].path = `../../${path.basename(outside)}/${manifest.files[0].path}`;
    manifest.dataFile = manifest.files[0].path;
    fs.writeFileSync(path.join(escaping, 'manifest.json'), JSON.stringify(manifest));

    const count = await totalEvents(server);
    for (const bad of [
      '../outside',
      `../${path.basename(outside)}/${path.basename(good.path)}`,
      `${path.basename(good.path)}/../${path.basename(good.path)}`,
      copy,
      outside,
      '/etc',
      path.join(backupDir, '..'),
      backupDir,
      '',
      'linked-backup',
      path.join(good.path, server.handle.services.config.backup.database),
      'no-such-backup',
      'escaping',
    ]) {
      const error = await refusal(bad, 'REPLACE');
      expect({ bad, extensions: error?.extensions }).toEqual({
        bad,
        extensions: { code: 'BAD_USER_INPUT', field: 'path' },
      });
    }
    expect(await totalEvents(server)).toBe(count);
    // The name alone, or the absolute path, is fine.
    expect(
      (await server.ok(RestoreBackupDocument, { path: path.basename(good.path) })).restoreBackup.skippedCount,
    ).toBe(good.eventCount);
    expect((await server.ok(RestoreBackupDocument, { path: good.path })).restoreBackup.restoredCount).toBe(0);
    // The link and the escaping copy are not listed as backups (the link is not a directory here).
    expect((await status()).backups.map((b) => path.basename(b.path))).not.toContain('linked-backup');
  });
});

describe('scheduled backups', () => {
  let server: TestServer;
  let backupDir: string;

  afterAll(async () => {
    await server?.stop();
    fs.rmSync(backupDir, { recursive: true, force: true });
  });

  it('takes backups on BACKUP_SCHEDULE and reports the schedule', async () => {
    backupDir = tempDir('backups-scheduled');
    server = await startTestServer('sqlite', {
      BACKUP_DIR: backupDir,
      BACKUP_SCHEDULE: '* * * * * *',
      BACKUP_MAX_COUNT: '2',
    });
    await server.ok(LogEventDocument, { event: { eventData: { message: 'to be backed up' } } });
    const first = await status();
    expect(first).toMatchObject({ enabled: true, schedule: '* * * * * *', nextScheduledAt: expect.any(String) });
    // Every second a backup; wait (bounded) until two were taken.
    const deadline = Date.now() + 20_000;
    let backups = first.backups;
    while (backups.length < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      backups = (await status()).backups;
    }
    expect(backups).toHaveLength(2);
    for (const backup of backups)
      expect(backup).toMatchObject({ description: 'scheduled', eventCount: 1, valid: true });
  });

  async function status() {
    return (await server.ok(BackupStatusDocument)).backupStatus;
  }
});

describe('backup configuration', () => {
  it('refuses a BACKUP_SCHEDULE that is not a cron pattern at start-up', async () => {
    await expect(startTestServer('sqlite', { BACKUP_SCHEDULE: 'every day' })).rejects.toThrow(/BACKUP_SCHEDULE/);
  });
});
