/**
 * Backup and restore at scale on the SQLite store: `BackupService.create` of every stored event
 * (mongodump layout, BSON + gzip, streamed) and `BackupService.restore` of that backup into a
 * fresh, empty store (verification pass included; the data file decoded on a worker thread while
 * the main thread loads), at 100 000 and 1 000 000 events.
 *
 * Each backup and each restore runs in a child process of its own, so its memory figures are its
 * own: the baseline RSS once the store is open, and the peak RSS (the kernel's high-water mark,
 * `process.resourceUsage().maxRSS`, which no sampling can miss).
 *
 * Targets: memory stays flat (the peak RSS growth over the baseline at 1M events is at most
 * 64 MiB more than at 100 000, for backup and for restore), and 50 000 events/s each at 1M
 * (issue 14). CPU time is reported beside the wall time, since the machine is shared.
 *
 * The source databases are built through `store.insertMany` and cached in the temp directory
 * (keyed like the page benchmark's), so only the first run pays for them.
 */
import './support/production-env';
import 'reflect-metadata';
import { fork } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BackupService, RestoreMode } from '../src/lifecycle/backup.service';
import { SqliteEventStore } from '../src/store/sqlite/sqlite-event-store';
import {
  checkQuiet,
  printTable,
  printTargets,
  progress,
  QUICK,
  round,
  SCRATCH_DIR,
  sized,
  target,
  tempDir,
  type Target,
  writeResult,
} from './support/harness';
import { EventGenerator, toDocument, WORKLOAD_VERSION, YEAR_START } from './support/workload';

const INSERT_BATCH = 10_000;
const MiB = 1024 * 1024;
/** Allowed growth of peak memory from the small to the large size. */
const TARGET_FLAT_MIB = 64;
/** Events per second of a backup and of a restore at the large size (issue 14's goal). */
const TARGET_RATE = 50_000;
/** Events of the first 30 days are archived, as in the page benchmark. */
const ARCHIVE_BEFORE = YEAR_START + 30 * 24 * 3600 * 1000;

/** What a child is asked to do. */
type ChildRequest =
  | { phase: 'backup'; dbFile: string; backupDir: string }
  | { phase: 'restore'; dbFile: string; backupDir: string; backupPath: string };

/** What a child measured. */
interface ChildResult {
  seconds: number;
  events: number;
  /** RSS once the store is open, before the work. */
  baselineRssMiB: number;
  /** Highest RSS the process ever had. */
  peakRssMiB: number;
  /** CPU time of the whole process (every thread) during the work: what the figure costs, whatever the machine's load. */
  cpuSeconds: number;
  /** Backup only: its directory and size. */
  backupPath?: string;
  sizeBytes?: number;
  /** Backup only: time to list and verify the backups (SHA-256 of every file). */
  verifySeconds?: number;
}

async function child(request: ChildRequest): Promise<ChildResult> {
  const store = new SqliteEventStore(request.dbFile);
  await store.init();
  const backups = new BackupService(
    store,
    {
      dir: request.backupDir,
      maxCount: 100,
      schedule: null,
      enabled: false,
      database: 'madsci_events',
      collection: 'events',
    },
    { version: 'bench' },
  );
  global.gc?.();
  const baselineRssMiB = process.memoryUsage().rss / MiB;
  const cpuAtStart = process.cpuUsage();
  const started = performance.now();
  let result: ChildResult;
  if (request.phase === 'backup') {
    const info = await backups.create('bench');
    const seconds = (performance.now() - started) / 1000;
    const verifyStarted = performance.now();
    const listed = await backups.list();
    if (!listed.some((b) => b.path === info.path && b.valid)) throw new Error('the new backup does not verify');
    result = {
      seconds,
      events: info.eventCount,
      baselineRssMiB,
      peakRssMiB: 0,
      cpuSeconds: cpuSecondsSince(cpuAtStart),
      backupPath: info.path,
      sizeBytes: info.sizeBytes,
      verifySeconds: (performance.now() - verifyStarted) / 1000,
    };
  } else {
    const { restoredCount } = await backups.restore(request.backupPath, RestoreMode.MERGE);
    result = {
      seconds: (performance.now() - started) / 1000,
      events: restoredCount,
      baselineRssMiB,
      peakRssMiB: 0,
      cpuSeconds: cpuSecondsSince(cpuAtStart),
    };
  }
  result.peakRssMiB = (process.resourceUsage().maxRSS * 1024) / MiB;
  await store.close();
  return result;
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

/** Runs one phase in a fresh child process. */
function inChild(request: ChildRequest): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const proc = fork(__filename, ['--backup-child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: ChildResult | null = null;
    proc.once('message', (message: ChildResult | { error: string }) => {
      if ('error' in message) reject(new Error(message.error));
      else result = message;
    });
    proc.once('exit', (code) => (result ? resolve(result) : reject(new Error(`backup child exited with ${code}`))));
    proc.send(request);
  });
}

/** Hash of the sources that decide the database's layout. */
function storeSourceHash(): string {
  const hash = crypto.createHash('sha256');
  for (const file of [
    'src/store/sqlite/sqlite-event-store.ts',
    'src/store/event-document.ts',
    'src/store/event-values.ts',
    'src/events/event.document.ts',
  ]) {
    hash.update(fs.readFileSync(path.resolve(__dirname, '..', file)));
  }
  return hash.digest('hex').slice(0, 12);
}

/** A cached database of `count` generated events (built on first use). */
async function cachedDatabase(count: number): Promise<string> {
  // BACKUP_DB_<count>: a database of that many events built earlier (kept aside, so that two
  // source trees measure the same file).
  const given = process.env[`BACKUP_DB_${count}`];
  if (given) return given;
  const root = path.join(SCRATCH_DIR, 'backup-cache');
  const key = `n${count}-w${WORKLOAD_VERSION}-s${storeSourceHash()}`;
  const file = path.join(root, key, 'events.db');
  fs.mkdirSync(root, { recursive: true });
  for (const entry of fs.readdirSync(root)) {
    if (entry !== key && entry.startsWith(`n${count}-`))
      fs.rmSync(path.join(root, entry), { recursive: true, force: true });
  }
  if (fs.existsSync(file)) {
    const store = new SqliteEventStore(file);
    await store.init();
    const stored = await store.count({});
    await store.close();
    if (stored === count) return file;
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
  progress(`building a database of ${count} events (${key})`);
  const partial = path.join(root, `${key}.partial-${process.pid}`);
  fs.rmSync(partial, { recursive: true, force: true });
  const store = new SqliteEventStore(path.join(partial, 'events.db'));
  await store.init();
  const generator = new EventGenerator(count, 13);
  for (let from = 0; from < count; from += INSERT_BATCH) {
    const docs = generator.inputs(from, Math.min(count, from + INSERT_BATCH)).map((input) => {
      const at = input.eventTimestamp.getTime();
      const doc = toDocument(input, new Date(at + 150));
      if (at < ARCHIVE_BEFORE) Object.assign(doc, { archived: true, archived_at: new Date(ARCHIVE_BEFORE) });
      return doc;
    });
    const { insertedIds } = await store.insertMany(docs);
    if (insertedIds.length !== docs.length)
      throw new Error(`insertMany stored ${insertedIds.length} of ${docs.length}`);
  }
  await store.close();
  fs.renameSync(partial, path.dirname(file));
  return file;
}

interface SizeFigures {
  events: number;
  backup: ChildResult & { eventsPerSecond: number; bytesPerEvent: number; peakGrowthMiB: number };
  restore: ChildResult & { eventsPerSecond: number; peakGrowthMiB: number };
}

async function measureSize(count: number): Promise<SizeFigures> {
  const dbFile = await cachedDatabase(count);
  const work = tempDir('backup');
  try {
    progress(`backing up ${count} events`);
    const backup = await inChild({ phase: 'backup', dbFile, backupDir: path.join(work, 'backups') });
    if (backup.events !== count) throw new Error(`backup holds ${backup.events} events, not ${count}`);
    progress(`restoring ${count} events into an empty store`);
    const restore = await inChild({
      phase: 'restore',
      dbFile: path.join(work, 'restored', 'events.db'),
      backupDir: path.join(work, 'backups'),
      backupPath: backup.backupPath!,
    });
    if (restore.events !== count) throw new Error(`restore stored ${restore.events} events, not ${count}`);
    return {
      events: count,
      backup: {
        ...backup,
        eventsPerSecond: count / backup.seconds,
        bytesPerEvent: backup.sizeBytes! / count,
        peakGrowthMiB: backup.peakRssMiB - backup.baselineRssMiB,
      },
      restore: {
        ...restore,
        eventsPerSecond: count / restore.seconds,
        peakGrowthMiB: restore.peakRssMiB - restore.baselineRssMiB,
      },
    };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Runs the backup benchmark and writes `bench/results/backup.json`. */
export async function runBackup(): Promise<Target[]> {
  const startedAt = new Date();
  const busyAtStart = await checkQuiet('before the run');
  const sizes = [sized(100_000), sized(1_000_000)];
  const figures: SizeFigures[] = [];
  for (const count of sizes) figures.push(await measureSize(count));
  const busyAtEnd = await checkQuiet('after the run');

  printTable(
    'Backup and restore on SQLite (each in its own process; RSS in MiB)',
    [
      'events',
      'phase',
      'seconds',
      'events/s',
      'CPU s',
      'events/CPU s',
      'baseline RSS',
      'peak RSS',
      'peak growth',
      'backup MiB',
      'bytes/event',
      'verify s',
    ],
    figures.flatMap((f) => [
      [
        f.events,
        'backup',
        f.backup.seconds,
        Math.round(f.backup.eventsPerSecond),
        f.backup.cpuSeconds,
        Math.round(f.events / f.backup.cpuSeconds),
        f.backup.baselineRssMiB,
        f.backup.peakRssMiB,
        f.backup.peakGrowthMiB,
        f.backup.sizeBytes! / MiB,
        f.backup.bytesPerEvent,
        f.backup.verifySeconds!,
      ],
      [
        f.events,
        'restore',
        f.restore.seconds,
        Math.round(f.restore.eventsPerSecond),
        f.restore.cpuSeconds,
        Math.round(f.events / f.restore.cpuSeconds),
        f.restore.baselineRssMiB,
        f.restore.peakRssMiB,
        f.restore.peakGrowthMiB,
        '',
        '',
        '',
      ],
    ]),
  );
  const [small, large] = figures as [SizeFigures, SizeFigures];
  const targets = [
    target('backup throughput', `events/s at ${large.events} events`, large.backup.eventsPerSecond, '>=', TARGET_RATE),
    target(
      'restore throughput',
      `events/s at ${large.events} events`,
      large.restore.eventsPerSecond,
      '>=',
      TARGET_RATE,
    ),
    target(
      'backup memory flat',
      `peak RSS growth at ${large.events} minus at ${small.events} events (MiB)`,
      large.backup.peakGrowthMiB - small.backup.peakGrowthMiB,
      '<',
      TARGET_FLAT_MIB,
    ),
    target(
      'restore memory flat',
      `peak RSS growth at ${large.events} minus at ${small.events} events (MiB)`,
      large.restore.peakGrowthMiB - small.restore.peakGrowthMiB,
      '<',
      TARGET_FLAT_MIB,
    ),
  ];
  printTargets(targets);
  const rounded = (r: object) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? round(v) : v]));
  writeResult('backup', startedAt, {
    otherProcessesBusyCores: { atStart: busyAtStart, atEnd: busyAtEnd },
    parameters: { sizes, store: 'sqlite', gzip: 'level 4', readChunk: 10_000, insertBatch: 10_000, quick: QUICK },
    figures: figures.map((f) => ({
      events: f.events,
      backup: rounded({ ...f.backup, backupPath: undefined }),
      restore: rounded(f.restore),
    })),
    ratios: {
      backupEventsPerSecond: round(large.backup.eventsPerSecond),
      restoreEventsPerSecond: round(large.restore.eventsPerSecond),
      backupPeakGrowthMiB: round(large.backup.peakGrowthMiB),
      restorePeakGrowthMiB: round(large.restore.peakGrowthMiB),
    },
    targets,
    notes: [
      'Restore = one pass over the data file (on a worker thread: SHA-256, gunzip, every document decoded and counted; the main thread loads them into a staging table meanwhile) + one swap, into an empty store (MERGE): the staged table becomes the events table, its indexes and text index built in bulk.',
      'cpuSeconds: CPU time of the whole process (every thread) during the phase; events/cpuSeconds is the throughput on a machine with one free core for this work.',
      'Peak RSS is the process high-water mark (resourceUsage().maxRSS); baseline is the RSS once the store is open.',
    ],
  });
  return targets;
}

if (require.main === module && process.argv.includes('--backup-child')) {
  process.once('message', (request: ChildRequest) => {
    child(request).then(
      (result) => process.send!(result, () => process.disconnect()),
      (error: unknown) =>
        process.send!({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }, () =>
          process.exit(1),
        ),
    );
  });
}
