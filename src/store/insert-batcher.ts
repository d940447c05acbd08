import type { EventDocument } from './event-document';
import type { InsertResult } from './event-store';

/** What became of one document of a batch write. */
export type DocOutcome = 'inserted' | 'duplicate' | { error: unknown };

/** A batch write: one outcome per document, in order; throws when the write as a whole failed. */
export type BatchWrite = (docs: readonly EventDocument[]) => readonly DocOutcome[] | Promise<readonly DocOutcome[]>;

/** Most documents one shared write holds. */
const MAX_SHARED_DOCS = 5000;

interface PendingCall {
  docs: readonly EventDocument[];
  resolve: (result: InsertResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit (docs/performance.md#group-commit): the insert calls made in one turn of the event
 * loop (concurrent `POST /event` requests whose bodies arrived in the same I/O poll) are written as
 * one batch, so they share one transaction instead of paying one each. Each call gets its own
 * result, as if the calls had run one after another in call order: a document is inserted for the
 * first call that sent its id, and a call fails when one of its own documents failed. `write` must
 * be atomic (a failed write stored nothing): when the shared write fails as a whole, each call is
 * written alone, so one call's bad document fails that call only.
 */
export class InsertBatcher {
  private queue: PendingCall[] | null = null;

  constructor(private readonly write: BatchWrite) {}

  insert(docs: readonly EventDocument[]): Promise<InsertResult> {
    return new Promise((resolve, reject) => {
      if (this.queue === null) {
        this.queue = [];
        setImmediate(() => void this.flush());
      }
      this.queue.push({ docs, resolve, reject });
    });
  }

  private async flush(): Promise<void> {
    const queued = this.queue ?? [];
    this.queue = null;
    // Writes of at most MAX_SHARED_DOCS documents (a larger call alone), so that one write never
    // holds the event loop (SQLite) much longer than the largest single call would.
    let group: PendingCall[] = [];
    let size = 0;
    for (const call of queued) {
      if (group.length > 0 && size + call.docs.length > MAX_SHARED_DOCS) {
        await this.writeGroup(group);
        group = [];
        size = 0;
      }
      group.push(call);
      size += call.docs.length;
    }
    if (group.length > 0) await this.writeGroup(group);
  }

  private async writeGroup(calls: PendingCall[]): Promise<void> {
    if (calls.length === 1) return this.alone(calls[0]!);
    let outcomes: readonly DocOutcome[];
    try {
      outcomes = await this.write(calls.flatMap((call) => call.docs));
    } catch {
      // Nothing was written: each call alone, so that only the one at fault fails.
      for (const call of calls) await this.alone(call);
      return;
    }
    let at = 0;
    for (const call of calls) settle(call, outcomes.slice(at, (at += call.docs.length)));
  }

  private async alone(call: PendingCall): Promise<void> {
    try {
      settle(call, await this.write(call.docs));
    } catch (error) {
      call.reject(error);
    }
  }
}

function settle(call: PendingCall, outcomes: readonly DocOutcome[]): void {
  const result: InsertResult = { insertedIds: [], duplicateIds: [] };
  for (const [i, outcome] of outcomes.entries()) {
    if (typeof outcome === 'object') return call.reject(outcome.error);
    (outcome === 'inserted' ? result.insertedIds : result.duplicateIds).push(call.docs[i]!._id);
  }
  call.resolve(result);
}
