import { traced } from '../core/tracing';
import type { Config } from '../core/config';
import type { Logger } from '../core/logger';
import type { EventStore } from '../store/event-store';
import { archivableBefore, archiveBatch, purgeBatch, runBatches } from './archive.service';
import { instanceId, Lease } from './lease';

/** MADSci's retention settings (`RETENTION_ENABLED`, `SOFT_DELETE_AFTER_DAYS`, ...). */
export type RetentionSettings = Config['retention'];

/** What one run of the task did. */
export interface RetentionRunResult {
  /** False when another instance held the lease (or the task was stopping), so this run did nothing. */
  ran: boolean;
  /** Events archived because their `eventTimestamp` passed the soft-delete threshold. */
  archivedCount: number;
  /** Archived events deleted because their `archivedAt` passed the hard-delete threshold. */
  deletedCount: number;
  batches: number;
  /** False when the batch cap (or a stop) ended the run with work left for the next one. */
  complete: boolean;
  startedAt: Date;
}

/** Options of {@link RetentionTask}. */
export interface RetentionTaskOptions {
  /** The time the thresholds are measured from; tests move it. Default: the system clock. */
  clock?: () => Date;
  logger?: Logger;
  /** This instance's name as a lease holder (default: host, pid and a random part). */
  owner?: string;
  /** Pause between batches, so the database serves others (MADSci: 100 ms). */
  pauseMs?: number;
  /** How long the lease lasts unless renewed; renewed before every batch. Default 10 minutes. */
  leaseTtlMs?: number;
  /** Pause between runs, overriding `checkIntervalHours` (for tests). */
  intervalMs?: number;
  /** Called after every run with its result or error. */
  onRun?: (outcome: { result: RetentionRunResult } | { error: unknown }) => void;
}

const DAY_MS = 24 * 3600 * 1000;

/** Name of the lease that keeps retention to one instance at a time. */
export const RETENTION_LEASE = 'retention';

/**
 * MADSci's background retention task, extended with the hard delete a TTL index would do (there
 * is none on FerretDB or SQLite). One run archives active events whose `eventTimestamp` is older
 * than `softDeleteAfterDays`, then deletes archived events whose `archivedAt` is older than
 * `hardDeleteAfterDays`; each phase works in batches of `archiveBatchSize`, at most
 * `maxBatchesPerRun` of them (0: no cap), pausing between batches so requests are served.
 * Runs at {@link start} and then every `checkIntervalHours`. With several instances on one
 * database only the holder of the `retention` lease runs. A failing run is logged and the task
 * tries again at the next interval; it never stops on its own (docs/madsci-compatibility.md#d16-retention-and-purge).
 */
export class RetentionTask {
  private readonly clock: () => Date;
  private readonly lease: Lease;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();
  private started = false;
  private stopping = false;

  constructor(
    private readonly store: EventStore,
    private readonly settings: RetentionSettings,
    private readonly options: RetentionTaskOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.lease = new Lease(
      store,
      RETENTION_LEASE,
      options.owner ?? instanceId(),
      options.leaseTtlMs ?? 10 * 60_000,
      this.clock,
    );
  }

  /** Milliseconds between runs. */
  get intervalMs(): number {
    return this.options.intervalMs ?? this.settings.checkIntervalHours * 3600_000;
  }

  /** Starts the schedule: a run now, then one every interval. Idempotent. */
  start(): void {
    if (this.started || this.stopping) return;
    this.started = true;
    this.schedule(0);
  }

  /** Stops the schedule and waits for a run in progress, which ends after its current batch. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /**
   * One run now (after any run in progress). Resolves with what it did; rejects when the
   * database fails. Runs of one task never overlap.
   */
  runOnce(): Promise<RetentionRunResult> {
    const run = this.running.then(() => traced('retention run', {}, () => this.run()));
    this.running = run.catch(() => undefined);
    run.then(
      (result) => this.options.onRun?.({ result }),
      (error: unknown) => this.options.onRun?.({ error }),
    );
    return run;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.runOnce()
        .catch((error: unknown) =>
          this.options.logger?.warn({ err: error }, 'Retention run failed; it will be retried at the next interval'),
        )
        .finally(() => {
          if (!this.stopping) this.schedule(this.intervalMs);
        });
    }, delayMs);
    // The schedule alone never keeps the process alive.
    this.timer.unref();
  }

  private async run(): Promise<RetentionRunResult> {
    const startedAt = this.clock();
    const result: RetentionRunResult = {
      ran: false,
      archivedCount: 0,
      deletedCount: 0,
      batches: 0,
      complete: false,
      startedAt,
    };
    if (this.stopping || !(await this.lease.acquire())) return result;
    const logger = this.options.logger;
    try {
      result.ran = true;
      const batchSize = this.settings.archiveBatchSize;
      const pauseMs = this.options.pauseMs ?? 100;
      const walk = {
        batchSize,
        maxBatches: this.settings.maxBatchesPerRun,
        // Stop between batches on shutdown, or when the lease was lost (another instance took
        // it after it expired): two instances must never work at once.
        beforeBatch: async () => !this.stopping && (await this.lease.renew()),
        pause: () => new Promise<void>((resolve) => setTimeout(resolve, pauseMs)),
      };
      const softCutoff = new Date(startedAt.getTime() - this.settings.softDeleteAfterDays * DAY_MS);
      const archived = await runBatches(
        () => archiveBatch(this.store, archivableBefore(softCutoff), batchSize, this.clock()),
        walk,
      );
      const hardCutoff = new Date(this.clock().getTime() - this.settings.hardDeleteAfterDays * DAY_MS);
      const deleted = this.stopping
        ? { changed: 0, batches: 0, complete: false }
        : await runBatches(() => purgeBatch(this.store, hardCutoff, batchSize), walk);
      Object.assign(result, {
        archivedCount: archived.changed,
        deletedCount: deleted.changed,
        batches: archived.batches + deleted.batches,
        complete: archived.complete && deleted.complete,
      });
      const summary = {
        archived: result.archivedCount,
        deleted: result.deletedCount,
        batches: result.batches,
        softCutoff,
        hardCutoff,
      };
      if (!result.complete)
        logger?.info(summary, 'Retention run stopped at its batch limit; it will continue next run');
      else if (result.archivedCount + result.deletedCount > 0)
        logger?.info(summary, 'Retention run archived and deleted events');
      else logger?.debug(summary, 'Retention run found nothing to do');
      return result;
    } finally {
      await this.lease
        .release()
        .catch((error: unknown) =>
          logger?.warn({ err: error }, 'Could not release the retention lease; it will expire'),
        );
    }
  }
}
