import { BadUserInputError } from '../core/errors';
import type { EventStore, Selector } from '../store/event-store';

/** Outcome of an archive or unarchive call (MADSci's `{archived_count, message}`). */
export interface ArchiveOutcome {
  archivedCount: number;
  message: string;
}

/** Outcome of a purge (MADSci's `{deleted_count, message}`). */
export interface PurgeOutcome {
  deletedCount: number;
  message: string;
}

/** Largest `batchSize` accepted. */
export const MAX_ARCHIVE_BATCH = 100_000;

const DAY_MS = 24 * 3600 * 1000;

/** The oldest events first: the order archiving walks in. */
const OLDEST_FIRST = { field: 'event_timestamp', direction: 1 } as const;

/** Gives the event loop a turn between batches (SQLite statements are synchronous). */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Active events older than `before`: what archiving by date selects. */
export function archivableBefore(before: Date): Selector {
  return { archived: { $ne: true }, event_timestamp: { $lt: before } };
}

/** Archived events whose `archived_at` is older than `cutoff`: what a purge deletes. */
export function purgeableBefore(cutoff: Date): Selector {
  return { archived: true, archived_at: { $lt: cutoff } };
}

/** One step of a batched walk: how many events it found, and how many it changed. */
export interface BatchStep {
  matched: number;
  changed: number;
}

/** How a batched walk ended. */
export interface BatchRun {
  /** Events changed over all batches. */
  changed: number;
  batches: number;
  /** True when nothing is left to do; false when stopped by `maxBatches` or `beforeBatch`. */
  complete: boolean;
}

/**
 * Runs `step` until a batch finds fewer than `batchSize` events, at most `maxBatches` times
 * (0 or absent: no cap), pausing between batches. `beforeBatch` returning false stops the walk.
 * @throws Error when three full batches in a row change nothing: a walk that could not end.
 */
export async function runBatches(
  step: () => Promise<BatchStep>,
  options: {
    batchSize: number;
    maxBatches?: number;
    beforeBatch?: () => Promise<boolean>;
    pause?: () => Promise<void>;
  },
): Promise<BatchRun> {
  const pause = options.pause ?? yieldToEventLoop;
  let changed = 0;
  let batches = 0;
  let idle = 0;
  for (;;) {
    if (options.maxBatches && batches >= options.maxBatches) return { changed, batches, complete: false };
    if (options.beforeBatch && !(await options.beforeBatch())) return { changed, batches, complete: false };
    const result = await step();
    if (result.matched === 0) return { changed, batches, complete: true };
    batches++;
    changed += result.changed;
    if (result.matched < options.batchSize) return { changed, batches, complete: true };
    // A full batch that changes nothing lost a race (another caller changed the same events);
    // the next one finds others. Many in a row mean the store keeps returning the same events.
    idle = result.changed === 0 ? idle + 1 : 0;
    if (idle >= 3) throw new Error('Batched walk makes no progress: the same events keep matching');
    await pause();
  }
}

/**
 * Archives at most `batchSize` events matching `selector` (oldest first) at `archivedAt`; returns
 * how many changed and whether any matched. Only active events change, so two callers racing
 * never archive one event twice.
 */
export async function archiveBatch(
  store: EventStore,
  selector: Selector,
  batchSize: number,
  archivedAt: Date,
): Promise<BatchStep> {
  const ids = await store.findIds(selector, { order: OLDEST_FIRST, limit: batchSize });
  if (ids.length === 0) return { matched: 0, changed: 0 };
  return { matched: ids.length, changed: await store.setArchived(ids, archivedAt) };
}

/**
 * Deletes at most `batchSize` events archived before `cutoff`, longest archived first: along the
 * (archived, archived_at) index, where ordering by event time would sort every match for each
 * batch. The delete checks `archived_at` again, so an event unarchived meanwhile (its
 * `archived_at` is then null) is not deleted; it selects by `_id` first, so it is a key lookup.
 */
export async function purgeBatch(store: EventStore, cutoff: Date, batchSize: number): Promise<BatchStep> {
  const ids = await store.findIds(purgeableBefore(cutoff), {
    order: { field: 'archived_at', direction: 1 },
    limit: batchSize,
  });
  if (ids.length === 0) return { matched: 0, changed: 0 };
  return { matched: ids.length, changed: await store.deleteMany({ _id: { $in: ids }, archived_at: { $lt: cutoff } }) };
}

/**
 * Archiving (soft delete), unarchiving and purging (hard delete of archived events), as MADSci's
 * `/events/archive` and `DELETE /events/archived`. Work is done in batches with a turn for other
 * requests between them. Knows nothing of GraphQL or HTTP.
 */
export class ArchiveService {
  constructor(
    private readonly store: EventStore,
    /** Batch size when the caller gives none (`ARCHIVE_BATCH_SIZE`). */
    private readonly defaultBatchSize: number,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /**
   * Archives the events with `ids` (every one of them, in batches: docs/madsci-compatibility.md#d10-archiving-by-ids; `before` is then
   * ignored, as in MADSci), or else every active event with `eventTimestamp < before`. Already
   * archived and unknown ids are not counted.
   * @param batchSize events per batch; null or 0 means `ARCHIVE_BATCH_SIZE`.
   * @throws BadUserInputError when neither `ids` (non-empty) nor `before` is given, or for a bad `batchSize`.
   */
  async archive(args: {
    ids?: readonly string[] | null;
    before?: Date | null;
    batchSize?: number | null;
  }): Promise<ArchiveOutcome> {
    const batchSize = this.batchSize(args.batchSize);
    const ids = args.ids ?? [];
    let archived: number;
    if (ids.length > 0) {
      archived = await this.setArchivedInBatches(ids, batchSize, true);
    } else if (args.before != null) {
      const selector = archivableBefore(args.before);
      archived = (await runBatches(() => archiveBatch(this.store, selector, batchSize, this.clock()), { batchSize }))
        .changed;
    } else {
      throw new BadUserInputError('Either ids or before must be provided', 'ids');
    }
    return { archivedCount: archived, message: `Successfully archived ${archived} events` };
  }

  /** Makes the events with `ids` active again; ids that are not archived are not counted. */
  async unarchive(ids: readonly string[]): Promise<ArchiveOutcome> {
    const count = await this.setArchivedInBatches(ids, this.defaultBatchSize, false);
    return { archivedCount: count, message: `Successfully unarchived ${count} events` };
  }

  /**
   * Permanently deletes archived events whose `archivedAt` is more than `olderThanDays` days ago
   * (0: every archived event archived before now), in batches.
   * @throws BadUserInputError for a negative or non-integer `olderThanDays`.
   */
  async purge(olderThanDays = 365): Promise<PurgeOutcome> {
    if (!Number.isInteger(olderThanDays) || olderThanDays < 0 || olderThanDays > 1_000_000) {
      throw new BadUserInputError(
        `olderThanDays must be an integer from 0 to 1000000, got ${olderThanDays}`,
        'olderThanDays',
      );
    }
    const cutoff = new Date(this.clock().getTime() - olderThanDays * DAY_MS);
    const batchSize = this.defaultBatchSize;
    const { changed: deleted } = await runBatches(() => purgeBatch(this.store, cutoff, batchSize), { batchSize });
    return {
      deletedCount: deleted,
      message: `Permanently deleted ${deleted} archived events older than ${olderThanDays} days`,
    };
  }

  private async setArchivedInBatches(ids: readonly string[], batchSize: number, archive: boolean): Promise<number> {
    let changed = 0;
    for (let i = 0; i < ids.length; i += batchSize) {
      if (i > 0) await yieldToEventLoop();
      changed += await this.store.setArchived(ids.slice(i, i + batchSize), archive ? this.clock() : null);
    }
    return changed;
  }

  private batchSize(value: number | null | undefined): number {
    if (value == null || value === 0) return this.defaultBatchSize;
    if (!Number.isInteger(value) || value < 0 || value > MAX_ARCHIVE_BATCH) {
      throw new BadUserInputError(
        `batchSize must be an integer from 1 to ${MAX_ARCHIVE_BATCH} (0 or null: ${this.defaultBatchSize}), got ${value}`,
        'batchSize',
      );
    }
    return value;
  }
}
