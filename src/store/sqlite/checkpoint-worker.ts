import { Worker } from 'node:worker_threads';

/*
 * WAL checkpoints off the event loop (docs/performance.md#wal-checkpoints). SQLite checkpoints
 * in the connection that commits: with its default `wal_autocheckpoint` (1 000 pages), every few
 * dozen commits one of them copies the WAL's pages into the database file and fsyncs both, which
 * held the server's event loop for milliseconds of disk waits (most of an insert's wall time on a
 * virtual disk). Here a worker thread with its own connection runs PASSIVE checkpoints, which
 * wait for no reader or writer and make no writer wait, a little after commits; the writing
 * connection keeps a larger `wal_autocheckpoint` as a backstop, which under sustained writes
 * copies what the worker's last checkpoint left (a few pages) and lets the WAL restart. Durability
 * is unchanged: `synchronous = NORMAL` on both connections, the WAL synced before and the
 * database file after each checkpoint, whichever thread runs it.
 */

/** How long after a commit the worker checkpoints (commits in between share the checkpoint). */
export const CHECKPOINT_DELAY_MS = 100;

/**
 * The writing connection's own `wal_autocheckpoint`, in pages: a backstop for when the worker's
 * checkpoints cannot finish the WAL (commits arrive while one runs, so the WAL never restarts);
 * then the committing connection checkpoints once per this many pages (40 MB of 4 KiB pages).
 */
export const BACKSTOP_AUTOCHECKPOINT_PAGES = 10_000;

const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('synchronous = NORMAL');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
parentPort.on('message', () => {
  try {
    const { busy, log, checkpointed } = checkpoint.get();
    parentPort.postMessage({ busy, log, checkpointed });
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message) });
  }
});
`;

/** What one checkpoint did: PRAGMA wal_checkpoint's row, or the error it failed with. */
export type CheckpointResult = { busy: number; log: number; checkpointed: number } | { error: string };

/**
 * Checkpoints a WAL-mode SQLite file on a worker thread, {@link CHECKPOINT_DELAY_MS} after
 * {@link afterCommit} is called, one at a time. The worker starts on first use and again if it
 * died; a failed checkpoint is left to the next one (and to the backstop).
 */
export class SqliteCheckpointWorker {
  private worker: Worker | null = null;
  /** A checkpoint is due or running: commits meanwhile need no other. */
  private scheduled = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly waiters: ((result: CheckpointResult) => void)[] = [];

  constructor(private readonly file: string) {}

  /** Called after each commit on the writing connection; cheap when a checkpoint is already due. */
  afterCommit(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    this.timer = setTimeout(() => this.run(), CHECKPOINT_DELAY_MS);
    this.timer.unref();
  }

  /** The result of the next checkpoint to finish (for tests). */
  nextCheckpoint(): Promise<CheckpointResult> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }

  private run(): void {
    this.timer = null;
    if (this.closed) return;
    const worker = this.worker ?? this.start();
    worker.ref();
    worker.postMessage(null);
  }

  private start(): Worker {
    const worker = new Worker(SOURCE, {
      eval: true,
      workerData: { file: this.file, driver: require.resolve('better-sqlite3') },
    });
    worker.unref();
    worker.on('message', (result: CheckpointResult) => this.done(worker, result));
    const lost = (error: unknown) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.done(worker, { error: String(error) });
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(`The SQLite checkpoint worker exited (${code})`));
    this.worker = worker;
    return worker;
  }

  private done(worker: Worker, result: CheckpointResult): void {
    worker.unref();
    this.scheduled = false;
    for (const resolve of this.waiters.splice(0)) resolve(result);
  }
}
