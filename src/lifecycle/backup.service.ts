import { traced } from '../core/tracing';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Cron } from 'croner';
import type { Config } from '../core/config';
import { normalizeStoredEvent } from '../store/normalize-event';
import { BadUserInputError, ServiceUnavailableError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { EventDocument } from '../store/event-document';
import { ReplaceInProgressError, type EventStore } from '../store/event-store';
import {
  BACKUP_FORMAT,
  BACKUP_FORMAT_VERSION,
  BackupFormatError,
  backupFilePath,
  hashFile,
  MANIFEST_FILE,
  readManifest,
  writeBsonGz,
  writeManifest,
  writeMetadataGz,
  type BackupFile,
  type BackupManifest,
} from './backup.format';
import { readBsonGzChunks, type DataFileDigest } from './bson-read-worker';
import { instanceId, Lease } from './lease';

/** How a restore treats the events already stored. */
export enum RestoreMode {
  /** Keep stored events; insert the backup's events whose ids are not stored. */
  MERGE = 'MERGE',
  /**
   * Make the stored events the backup's, atomically, keeping the events logged while it ran (see
   * {@link BackupService.restore}).
   */
  REPLACE = 'REPLACE',
}

/** A backup directory as `backupStatus` and `createBackup` describe it. */
export interface BackupInfo {
  /** Absolute path of the backup directory. */
  path: string;
  createdAt: Date;
  description: string | null;
  eventCount: number;
  /** Bytes of every file in the backup. */
  sizeBytes: number;
  /** The manifest is readable and every file matches its size and SHA-256. */
  valid: boolean;
  /** `completed` for a valid backup, else `invalid: <reason>`. */
  status: string;
}

/** `backupStatus`. */
export interface BackupStatusReport {
  /** Scheduled backups are running (`BACKUP_ENABLED` and a `BACKUP_SCHEDULE`). */
  enabled: boolean;
  directory: string;
  maxBackups: number;
  schedule: string | null;
  nextScheduledAt: Date | null;
  /** Newest first. */
  backups: BackupInfo[];
}

/** What a restore did. */
export interface RestoreOutcome {
  restoredCount: number;
  /** Events of the backup not inserted because their id was stored already. */
  skippedCount: number;
}

/** Backup settings (`BACKUP_DIR`, `BACKUP_MAX_COUNT`, `BACKUP_SCHEDULE`, `BACKUP_ENABLED`). */
export type BackupSettings = Config['backup'];

/** Options of {@link BackupService}. */
export interface BackupServiceOptions {
  /** Server version, recorded in manifests. */
  version: string;
  clock?: () => Date;
  logger?: Logger;
  /** This instance's name as a lease holder (scheduled backups). */
  owner?: string;
}

/**
 * Events per insert when restoring, and per read when backing up, per store engine. SQLite: one
 * transaction per batch, large enough that per-batch costs (a commit, a read's keyset seek and
 * its trip to the read worker) vanish, small enough to keep memory flat (a few MB of documents).
 * MongoDB: round trips the driver splits anyway; a REPLACE renews its lease once per batch, so
 * batches stay short on a slow server.
 */
const BATCH: Record<EventStore['engine'], number> = { sqlite: 10_000, mongodb: 2000 };
/**
 * Documents a restore decodes ahead of what it stores (see readBsonGzChunks): on SQLite a whole
 * batch, so that decoding the next one overlaps storing this one; on MongoDB, where the server's
 * inserts are the whole cost, a quarter of a batch: with half, a REPLACE on FerretDB had read the
 * whole 6 000-event file of test/restore-atomic.test.ts before the test cut it short while loading
 * (once in CI), so it restored what it had read and verified instead of seeing the file cut.
 */
const READ_AHEAD: Record<EventStore['engine'], number> = { sqlite: 10_000, mongodb: 500 };
const MAX_DESCRIPTION = 1000;
/** Partial directories older than this are leftovers of a crash and are removed. */
const STALE_PARTIAL_MS = 24 * 3600_000;
/** Name of the lease that gives each scheduled slot to one instance. */
export const SCHEDULED_BACKUP_LEASE = 'scheduled-backup';

/**
 * Backups of the event store in mongodump's layout (see `backup.format.ts`), written by both
 * stores alike, so a backup of one restores into the other. Knows nothing of GraphQL or HTTP.
 *
 * * `create` streams every event into a new directory under `BACKUP_DIR` (written as a hidden
 *   partial directory, renamed when complete), then rotates to `BACKUP_MAX_COUNT` backups.
 * * `restore` takes a backup inside `BACKUP_DIR` only, verifies every checksum and parses every
 *   document before it changes anything.
 * * `startSchedule` takes backups on `BACKUP_SCHEDULE`; with several instances on one database,
 *   one instance takes each scheduled backup (a lease).
 * Creating, restoring and rotating run one at a time in this process.
 */
export class BackupService {
  private readonly clock: () => Date;
  private readonly owner: string;
  private queue: Promise<unknown> = Promise.resolve();
  private cron: Cron | null = null;
  private scheduled: Promise<void> | null = null;
  private readonly abort = new AbortController();
  /** Verified checksums by file identity, so listing does not re-read unchanged files. */
  private readonly verified = new Map<string, string>();

  constructor(
    private readonly store: EventStore,
    private readonly settings: BackupSettings,
    private readonly options: BackupServiceOptions,
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.owner = options.owner ?? instanceId();
  }

  /** The backup directory (absolute). */
  get directory(): string {
    return this.settings.dir;
  }

  /**
   * Writes a backup of every event (archived included) and rotates old backups away.
   * @param description free text kept in the manifest; also, made safe, the directory name's suffix.
   * @throws BadUserInputError for an over-long description; Error when writing fails (the partial backup is removed).
   */
  async create(description?: string | null): Promise<BackupInfo> {
    if (description != null && description.length > MAX_DESCRIPTION) {
      throw new BadUserInputError(`description may be at most ${MAX_DESCRIPTION} characters`, 'description');
    }
    return this.exclusive(async () => {
      const info = await traced('backup create', {}, () => this.write(description ?? null));
      await this.rotate();
      return info;
    });
  }

  /** The backups in `BACKUP_DIR`, newest first, each verified against its checksums. */
  async list(): Promise<BackupInfo[]> {
    const infos = await Promise.all((await this.backupDirs()).map((dir) => this.inspect(dir, true)));
    return infos.filter((info): info is BackupInfo => info !== null).sort(newestFirst);
  }

  /** Settings, schedule and the list of backups. */
  async status(): Promise<BackupStatusReport> {
    const enabled = this.settings.enabled && this.settings.schedule !== null;
    return {
      enabled,
      directory: this.settings.dir,
      maxBackups: this.settings.maxCount,
      schedule: this.settings.schedule,
      nextScheduledAt: this.cron?.nextRun() ?? null,
      backups: await this.list(),
    };
  }

  /**
   * Restores a backup. Its checksums are verified and every document parsed before anything
   * changes; a backup that fails is refused and the store is left as it was. The backup is read
   * once, loaded beside the events while it is verified, where the store can
   * ({@link EventStore.mergeAll}; else it is read twice: verified, then inserted).
   * MERGE inserts the events whose ids are not stored and counts the others as skipped; with
   * {@link EventStore.mergeAll} (SQLite) all at once, at the end. REPLACE is atomic
   * ({@link EventStore.replaceAll}): the backup is loaded beside the stored events, which stay as
   * they are (readable, and logging goes on) until one swap makes the store hold the backup's events plus the events logged since the restore began (they were
   * acknowledged to someone; an id in both keeps the logged event and counts the backup's as
   * skipped). A failure before or during the swap (an outage, a crash, a full disk) leaves the
   * stored events exactly as they were.
   * @param backupPath a backup directory inside `BACKUP_DIR`: its absolute path or its name.
   * @throws BadUserInputError (field `path`) for a path outside `BACKUP_DIR`, not a backup, or corrupt.
   * @throws ServiceUnavailableError when another instance is restoring into the same database (REPLACE).
   */
  async restore(backupPath: string, mode: RestoreMode = RestoreMode.MERGE): Promise<RestoreOutcome> {
    return traced('backup restore', { attributes: { 'lab_events.restore.mode': mode } }, () =>
      this.restoreTraced(backupPath, mode),
    );
  }

  /** {@link restore}, inside its span. */
  private async restoreTraced(backupPath: string, mode: RestoreMode): Promise<RestoreOutcome> {
    const dir = this.resolveBackupDir(backupPath);
    return this.exclusive(async () => {
      const started = performance.now();
      let restoredCount = 0;
      let skippedCount = 0;
      if (mode === RestoreMode.REPLACE) {
        // Verification runs inside the replace, so the events logged meanwhile are kept too.
        try {
          ({ insertedCount: restoredCount, skippedCount } = await this.store.replaceAll(this.checkedBatches(dir)));
        } catch (error) {
          if (error instanceof ReplaceInProgressError) throw new ServiceUnavailableError(error.message);
          throw error;
        }
      } else if (this.store.mergeAll) {
        ({ insertedCount: restoredCount, skippedCount } = await this.store.mergeAll(this.checkedBatches(dir)));
      } else {
        for await (const batch of this.verifiedBatches(dir)) {
          const { insertedIds, duplicateIds } = await this.store.insertMany(batch);
          restoredCount += insertedIds.length;
          skippedCount += duplicateIds.length;
        }
      }
      this.options.logger?.info(
        { backup: dir, mode, restoredCount, skippedCount, seconds: (performance.now() - started) / 1000 },
        'Backup restored',
      );
      return { restoredCount, skippedCount };
    });
  }

  /**
   * The backup's documents in batches of {@link BATCH} (per engine), the data file read and
   * decoded once (on a worker thread, a few thousand documents ahead: bson-read-worker.ts): the
   * other files are verified first, the data file's checksum and count once its last document was
   * read, so the batches end (and the store swaps) only for a backup that verified.
   * For stores that change nothing until the batches are exhausted ({@link EventStore.replaceAll},
   * {@link EventStore.mergeAll}); see {@link verifiedBatches} for the others.
   * @throws BadUserInputError (field `path`) for a backup that fails verification.
   */
  private async *checkedBatches(dir: string): AsyncGenerator<EventDocument[]> {
    const refusal = (error: BackupFormatError) =>
      new BadUserInputError(
        `Backup ${path.basename(dir)} cannot be restored: ${error.message}. Nothing was changed.`,
        'path',
      );
    let manifest: BackupManifest;
    try {
      manifest = await readManifest(dir);
      await this.verifyForRestore(dir, manifest, false);
    } catch (error) {
      if (error instanceof BackupFormatError) throw refusal(error);
      throw error;
    }
    const entry = manifest.files.find((file) => file.path === manifest.dataFile)!;
    const full = backupFilePath(dir, entry.path);
    const digest: DataFileDigest = { sha256: '', bytes: 0, count: 0 };
    let batch: EventDocument[] = [];
    try {
      for await (const raws of readBsonGzChunks(full, { ahead: READ_AHEAD[this.store.engine], digest })) {
        for (const raw of raws) batch.push(normalizeStoredEvent(raw));
        if (batch.length >= BATCH[this.store.engine]) {
          yield batch;
          batch = [];
        }
      }
      if (digest.bytes !== entry.bytes || digest.sha256 !== entry.sha256)
        throw new BackupFormatError(`checksum mismatch in ${entry.path}`);
      if (digest.count !== manifest.eventCount)
        throw new BackupFormatError(
          `${entry.path} holds ${digest.count} events, the manifest says ${manifest.eventCount}`,
        );
    } catch (error) {
      if (!(error instanceof BackupFormatError)) throw error;
      // A file that does not decode is named by its checksum when that differs (the likelier cause).
      const damaged = await hashFile(full).then(
        (file) => file.sha256 !== entry.sha256,
        () => true,
      );
      throw refusal(damaged ? new BackupFormatError(`checksum mismatch in ${entry.path}`) : error);
    }
    if (batch.length > 0) yield batch;
  }

  /**
   * The backup's documents in batches of {@link BATCH} (per engine), yielded only once the whole backup was
   * verified (see {@link verifyForRestore}).
   * @throws BadUserInputError (field `path`) for a backup that fails verification.
   */
  private async *verifiedBatches(dir: string): AsyncGenerator<EventDocument[]> {
    let manifest: BackupManifest;
    try {
      manifest = await readManifest(dir);
      await this.verifyForRestore(dir, manifest);
    } catch (error) {
      if (error instanceof BackupFormatError) {
        throw new BadUserInputError(
          `Backup ${path.basename(dir)} cannot be restored: ${error.message}. Nothing was changed.`,
          'path',
        );
      }
      throw error;
    }
    let batch: EventDocument[] = [];
    try {
      for await (const raws of readBsonGzChunks(backupFilePath(dir, manifest.dataFile), {
        ahead: READ_AHEAD[this.store.engine],
      })) {
        for (const raw of raws) batch.push(normalizeStoredEvent(raw));
        if (batch.length >= BATCH[this.store.engine]) {
          yield batch;
          batch = [];
        }
      }
    } catch (error) {
      if (error instanceof BackupFormatError) {
        throw new BadUserInputError(
          `Backup ${path.basename(dir)} changed after it was verified: ${error.message}`,
          'path',
        );
      }
      throw error;
    }
    if (batch.length > 0) yield batch;
  }

  /** Starts scheduled backups when `BACKUP_ENABLED` and `BACKUP_SCHEDULE` say so. Idempotent. */
  startSchedule(): void {
    const { schedule, enabled } = this.settings;
    if (!enabled || schedule === null || this.cron) return;
    // `catch` as well as scheduledBackup's own try: croner leaves a job whose callback rejected
    // blocked, and `protect` would then skip every later slot.
    const onError = (error: unknown) => this.logScheduledFailure(error);
    this.cron = new Cron(schedule, { protect: true, unref: true, catch: onError }, () => {
      this.scheduled = this.scheduledBackup().finally(() => {
        this.scheduled = null;
      });
      return this.scheduled;
    });
  }

  /** Stops the schedule and ends a backup in progress (its partial directory is removed). */
  async stop(): Promise<void> {
    this.cron?.stop();
    this.cron = null;
    this.abort.abort();
    await this.scheduled;
    await this.queue;
  }

  /** One scheduled backup, if this instance gets the slot's lease. Never throws (see startSchedule). */
  private async scheduledBackup(): Promise<void> {
    const logger = this.options.logger;
    try {
      const now = this.clock().getTime();
      // The lease is kept (not released) until just before the next slot, so an instance
      // whose clock runs a little behind does not take the same slot again.
      const next = this.cron?.nextRun()?.getTime() ?? now + 60_000;
      const lease = new Lease(this.store, SCHEDULED_BACKUP_LEASE, this.owner, 60_000, this.clock);
      if (!(await lease.acquire(new Date(Math.max(now + 1000, next - 1000))))) {
        logger?.debug('Scheduled backup taken by another instance');
        return;
      }
      const info = await this.create('scheduled');
      logger?.info({ backup: info.path, events: info.eventCount, bytes: info.sizeBytes }, 'Scheduled backup written');
    } catch (error) {
      if (this.abort.signal.aborted) return;
      this.logScheduledFailure(error);
    }
  }

  private logScheduledFailure(error: unknown): void {
    this.options.logger?.error({ err: error }, 'Scheduled backup failed; the next one runs on schedule');
  }

  /**
   * The backup directory a client named: inside `BACKUP_DIR` (directly), no `..`, not reached
   * through a link that leaves it.
   * @throws BadUserInputError (field `path`)
   */
  resolveBackupDir(input: string): string {
    const refuse = (why: string): never => {
      throw new BadUserInputError(`${why}: ${JSON.stringify(input.slice(0, 200))}`, 'path');
    };
    if (input.trim() === '' || input.includes('\0')) refuse('Not a backup path');
    if (input.split(/[\\/]+/).includes('..')) refuse('Backup paths may not contain ".."');
    const base = this.settings.dir;
    const candidate = path.resolve(base, input);
    const relative = path.relative(base, candidate);
    if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative))
      refuse(`Backups are restored only from ${base}; not`);
    let real: string;
    let realBase: string;
    try {
      realBase = fs.realpathSync(base);
      real = fs.realpathSync(candidate);
    } catch {
      return refuse('No backup at');
    }
    // Backups are the directories right inside BACKUP_DIR; a link that resolves elsewhere is refused.
    if (path.dirname(real) !== realBase || path.basename(real).startsWith('.'))
      refuse(`Not a backup directory in ${base}`);
    if (!fs.statSync(real).isDirectory()) refuse('Not a backup directory');
    return real;
  }

  /** Runs jobs that write or restore one after another. */
  private exclusive<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Writes a new backup directory; see {@link create}. */
  private async write(description: string | null): Promise<BackupInfo> {
    const started = performance.now();
    const createdAt = this.clock();
    const { database, collection } = this.settings;
    await fsp.mkdir(this.settings.dir, { recursive: true });
    await this.removeStalePartials(createdAt);
    const name = await this.freeName(`${database}_backup_${stamp(createdAt)}_${suffixOf(description)}`);
    const partial = path.join(this.settings.dir, `.partial-${name}`);
    try {
      await fsp.mkdir(path.join(partial, database), { recursive: true });
      const docs = this.store.stream(
        {},
        { order: { field: 'event_timestamp', direction: 1 }, chunkSize: BATCH[this.store.engine] },
      );
      const data = await writeBsonGz(path.join(partial, database, `${collection}.bson.gz`), docs, this.abort.signal);
      const metadata = await writeMetadataGz(
        path.join(partial, database, `${collection}.metadata.json.gz`),
        collection,
      );
      const files: BackupFile[] = [data, metadata].map((file) => ({
        path: path.relative(partial, file.path).split(path.sep).join('/'),
        bytes: file.bytes,
        sha256: file.sha256,
      }));
      const manifest: BackupManifest = {
        format: BACKUP_FORMAT,
        formatVersion: BACKUP_FORMAT_VERSION,
        createdAt: createdAt.toISOString(),
        description,
        engine: this.store.engine,
        serverVersion: this.options.version,
        database,
        collection,
        eventCount: data.count,
        dataFile: files[0]!.path,
        files,
      };
      await writeManifest(partial, manifest);
      const final = path.join(this.settings.dir, name);
      await fsp.rename(partial, final);
      const sizeBytes =
        files.reduce((sum, file) => sum + file.bytes, 0) + (await fsp.stat(path.join(final, MANIFEST_FILE))).size;
      this.options.logger?.info(
        { backup: final, events: data.count, bytes: sizeBytes, seconds: (performance.now() - started) / 1000 },
        'Backup written',
      );
      return {
        path: final,
        createdAt,
        description,
        eventCount: data.count,
        sizeBytes,
        valid: true,
        status: 'completed',
      };
    } catch (error) {
      await fsp.rm(partial, { recursive: true, force: true });
      throw error;
    }
  }

  /** Keeps the newest `BACKUP_MAX_COUNT` backups; removes the rest. */
  private async rotate(): Promise<void> {
    const infos = (await Promise.all((await this.backupDirs()).map((dir) => this.inspect(dir, false)))).filter(
      (info): info is BackupInfo => info !== null,
    );
    for (const old of infos.sort(newestFirst).slice(this.settings.maxCount)) {
      await fsp.rm(old.path, { recursive: true, force: true });
      this.options.logger?.info({ backup: old.path }, 'Old backup removed by rotation');
    }
  }

  /** Directories right inside `BACKUP_DIR` that hold a manifest (links and hidden entries are not backups). */
  private async backupDirs(): Promise<string[]> {
    let entries: fs.Dirent[];
    try {
      entries = await fsp.readdir(this.settings.dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const dirs = entries
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
      .map((entry) => path.join(this.settings.dir, entry.name));
    return dirs.filter((dir) => fs.existsSync(path.join(dir, MANIFEST_FILE)));
  }

  /**
   * Describes one backup; with `verify`, checks every file's size and SHA-256. Null when the
   * directory vanished meanwhile (rotation).
   */
  private async inspect(dir: string, verify: boolean): Promise<BackupInfo | null> {
    let stat: fs.Stats;
    try {
      stat = await fsp.stat(dir);
    } catch {
      return null;
    }
    const sizeBytes = await directorySize(dir);
    let manifest: BackupManifest;
    try {
      manifest = await readManifest(dir);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return {
        path: dir,
        createdAt: stat.mtime,
        description: null,
        eventCount: 0,
        sizeBytes,
        valid: false,
        status: `invalid: ${reason}`,
      };
    }
    const info: BackupInfo = {
      path: dir,
      createdAt: new Date(manifest.createdAt),
      description: manifest.description,
      eventCount: manifest.eventCount,
      sizeBytes,
      valid: true,
      status: 'completed',
    };
    if (verify) {
      const problem = await this.checkFiles(dir, manifest);
      if (problem) Object.assign(info, { valid: false, status: `invalid: ${problem}` });
    }
    return info;
  }

  /** The first file that is missing or differs from the manifest, or null. */
  private async checkFiles(dir: string, manifest: BackupManifest): Promise<string | null> {
    for (const file of manifest.files) {
      const full = backupFilePath(dir, file.path);
      let stat: fs.Stats;
      try {
        stat = await fsp.lstat(full);
      } catch {
        return `${file.path} is missing`;
      }
      if (!stat.isFile()) return `${file.path} is not a regular file`;
      if (stat.size !== file.bytes) return `${file.path} has ${stat.size} bytes, the manifest says ${file.bytes}`;
      // Any write changes ctime (which no one can set), so an unchanged identity means unchanged bytes.
      const identity = `${full}|${stat.dev}|${stat.ino}|${stat.size}|${stat.mtimeMs}|${stat.ctimeMs}`;
      let sha256 = this.verified.get(identity);
      if (sha256 === undefined) {
        sha256 = (await hashFile(full)).sha256;
        if (this.verified.size > 1000) this.verified.clear();
        this.verified.set(identity, sha256);
      }
      if (sha256 !== file.sha256) return `checksum mismatch in ${file.path}`;
    }
    return null;
  }

  /**
   * Reads the whole backup once: every file's checksum, and every document of the data file
   * parsed and counted (in the same pass); without `withData`, the data file is only checked to be
   * a regular file inside the backup (see {@link checkedBatches}). @throws BackupFormatError
   */
  private async verifyForRestore(dir: string, manifest: BackupManifest, withData = true): Promise<void> {
    for (const file of manifest.files) {
      const full = backupFilePath(dir, file.path);
      const stat = await fsp.lstat(full).catch(() => null);
      if (!stat?.isFile()) throw new BackupFormatError(`${file.path} is missing or not a regular file`);
      // A linked directory on the way could lead outside the backup.
      if (!(await fsp.realpath(full)).startsWith(dir + path.sep))
        throw new BackupFormatError(`${file.path} lies outside the backup`);
      if (!withData && file.path === manifest.dataFile) continue;
      if ((await hashFile(full)).sha256 !== file.sha256)
        throw new BackupFormatError(`checksum mismatch in ${file.path}`);
      if (file.path !== manifest.dataFile) continue;
      // The checksum matched; the documents must also parse, all of them, and be as many as listed.
      const digest: DataFileDigest = { sha256: '', bytes: 0, count: 0 };
      const reading = readBsonGzChunks(full, { ahead: READ_AHEAD[this.store.engine], digest, decode: false });
      while (!(await reading.next()).done);
      const count = digest.count;
      if (count !== manifest.eventCount)
        throw new BackupFormatError(`${file.path} holds ${count} events, the manifest says ${manifest.eventCount}`);
    }
  }

  /** `name`, or `name_2`, `name_3`, ... when taken. */
  private async freeName(name: string): Promise<string> {
    for (let n = 1; ; n++) {
      const candidate = n === 1 ? name : `${name}_${n}`;
      if (
        !fs.existsSync(path.join(this.settings.dir, candidate)) &&
        !fs.existsSync(path.join(this.settings.dir, `.partial-${candidate}`))
      )
        return candidate;
    }
  }

  private async removeStalePartials(now: Date): Promise<void> {
    for (const entry of await fsp.readdir(this.settings.dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || !entry.name.startsWith('.partial-')) continue;
      const full = path.join(this.settings.dir, entry.name);
      const stat = await fsp.stat(full).catch(() => null);
      if (stat && now.getTime() - stat.mtimeMs > STALE_PARTIAL_MS) await fsp.rm(full, { recursive: true, force: true });
    }
  }
}

function newestFirst(a: BackupInfo, b: BackupInfo): number {
  return b.createdAt.getTime() - a.createdAt.getTime() || (a.path < b.path ? 1 : a.path > b.path ? -1 : 0);
}

/** MADSci's directory time stamp, in UTC: `YYYYMMDD_HHMMSS_ffffff`. */
function stamp(date: Date): string {
  const iso = date.toISOString(); // 2025-01-06T08:00:00.123Z
  return `${iso.slice(0, 10).replace(/-/g, '')}_${iso.slice(11, 19).replace(/:/g, '')}_${iso.slice(20, 23)}000`;
}

/** The directory-name suffix for a description: MADSci's `manual_backup` by default, else a safe slug. */
function suffixOf(description: string | null): string {
  const slug = (description ?? '')
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 64);
  return slug === '' ? 'manual_backup' : slug;
}

/** Total bytes of the regular files under a directory (links not followed). */
async function directorySize(dir: string): Promise<number> {
  let total = 0;
  const entries = await fsp.readdir(dir, { withFileTypes: true }).catch(() => [] as fs.Dirent[]);
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await directorySize(full);
    else if (entry.isFile()) total += (await fsp.lstat(full).catch(() => ({ size: 0 }))).size;
  }
  return total;
}
