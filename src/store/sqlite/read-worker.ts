import { traced } from '../../core/tracing';
import { Worker } from 'node:worker_threads';
import { StoreUnavailableError } from '../../core/errors';

/**
 * The worker's code, evaluated as CommonJS: its own connection to the database file, used only
 * to read (`query_only`), one statement per message.
 */
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
db.pragma('query_only = ON');
const statements = new Map();
parentPort.on('message', ({ id, sql, params, raw }) => {
  try {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    parentPort.postMessage({ id, rows: statement.raw(raw === true).all(...params) });
  } catch (error) {
    parentPort.postMessage({ id, error: { message: String(error && error.message), code: error && error.code } });
  }
});
`;

interface Pending {
  resolve: (rows: unknown[]) => void;
  reject: (error: Error) => void;
}

/**
 * Runs long reads of a SQLite file on a worker thread, so the server's event loop stays free while
 * SQLite walks rows it cannot find by index (a report's text hints, an unindexed filter): on the
 * main thread one such statement held every request and live delivery for up to 0.4 s. WAL mode
 * lets this second connection read while the main one writes; each statement sees every commit
 * made before it was sent. The worker starts on first use and is restarted if it dies.
 */
export class SqliteReadWorker {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(private readonly file: string) {}

  /** The rows of one read-only statement; with `raw`, each row is an array of its columns' values. */
  all<T>(sql: string, params: readonly unknown[], raw = false): Promise<T[]> {
    return traced('sqlite read worker', { attributes: { 'db.system.name': 'sqlite', 'db.query.text': sql } }, () =>
      this.send<T>(sql, params, raw),
    );
  }

  private send<T>(sql: string, params: readonly unknown[], raw: boolean): Promise<T[]> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    // Waited on, it keeps the process alive (a CLI export has nothing else); idle, it does not.
    if (this.pending.size === 0) worker.ref();
    return new Promise<T[]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (rows: unknown[]) => void, reject });
      worker.postMessage({ id, sql, params, raw });
    });
  }

  /** Stops the worker; reads still waiting fail. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    // Before terminating: reads in flight fail as the store being closed, not as the worker's exit.
    this.failAll(new StoreUnavailableError(new Error('The SQLite store is closed')));
    if (worker) await worker.terminate();
  }

  private start(): Worker {
    const worker = new Worker(SOURCE, {
      eval: true,
      workerData: { file: this.file, driver: require.resolve('better-sqlite3') },
    });
    worker.unref();
    worker.on(
      'message',
      ({ id, rows, error }: { id: number; rows?: unknown[]; error?: { message: string; code?: string } }) => {
        const waiting = this.pending.get(id);
        if (!waiting) return;
        this.pending.delete(id);
        if (this.pending.size === 0) worker.unref();
        if (error) waiting.reject(Object.assign(new Error(error.message), error.code ? { code: error.code } : {}));
        else waiting.resolve(rows!);
      },
    );
    const lost = (error: Error) => {
      if (this.worker === worker) this.worker = null;
      this.failAll(error);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`The SQLite read worker exited (${code})`)));
    this.worker = worker;
    return worker;
  }

  private failAll(error: Error): void {
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}
