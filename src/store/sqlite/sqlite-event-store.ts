import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Query } from 'mingo';
import { SOURCE_KEYS, type EventDocument, type EventSourceDocument } from '../event-document';
import type {
  CountGroupsOptions,
  CountOptions,
  EventStore,
  FindOptions,
  GroupCount,
  InsertResult,
  ReadOrder,
  ReplaceResult,
  Selector,
  StorePing,
  TypedEventRow,
} from '../event-store';
import { countGroupsOf } from '../group-counts';
import { SqliteReadWorker } from './read-worker';
import { BACKSTOP_AUTOCHECKPOINT_PAGES, SqliteCheckpointWorker } from './checkpoint-worker';
import { StoreUnavailableError } from '../../core/errors';
import { COLUMNS, selectorToSql, type SqlOptions, type Translation } from './selector-to-sql';
import {
  ensureTextIndex,
  isRareTerm,
  TEXT_INDEX_SQL,
  topLevelTextTerm,
  trigramQuery,
  withTextIndexRebuilt,
} from './text-index';
import { splitPerValue } from './merged-seeks';
import { InsertBatcher, type DocOutcome } from '../insert-batcher';
import { ensureLoggedTypeIndex, readTyped } from './typed-read';

/** Rows read per step of a scan; the event loop gets a turn between steps. */
const SCAN_CHUNK = 1000;

/** The events table's definition under `name` (a restore builds its staging table from it too). */
const eventsTableSql = (name: string) => `
CREATE TABLE IF NOT EXISTS ${name} (
  id TEXT PRIMARY KEY NOT NULL,
  event_type TEXT NOT NULL,
  log_level INTEGER NOT NULL,
  alert INTEGER NOT NULL,
  event_timestamp INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  ${SOURCE_KEYS.map((key) => `source_${key} TEXT`).join(',\n  ')},
  event_data TEXT NOT NULL,
  trace_id TEXT,
  span_id TEXT,
  archived INTEGER NOT NULL DEFAULT 0,
  archived_at INTEGER,
  search_text TEXT NOT NULL DEFAULT ''
);`;

/** The events table's secondary indexes. */
const EVENTS_INDEXES = `
CREATE INDEX IF NOT EXISTS events_archived_ts ON events (archived, event_timestamp, id);
CREATE INDEX IF NOT EXISTS events_ts ON events (event_timestamp, id);
CREATE INDEX IF NOT EXISTS events_received ON events (received_at, id);
CREATE INDEX IF NOT EXISTS events_level_ts ON events (log_level, event_timestamp);
CREATE INDEX IF NOT EXISTS events_type_ts ON events (event_type, event_timestamp);
CREATE INDEX IF NOT EXISTS events_node_ts ON events (source_node_id, event_timestamp);
CREATE INDEX IF NOT EXISTS events_workcell_ts ON events (source_workcell_id, event_timestamp);
CREATE INDEX IF NOT EXISTS events_workflow_ts ON events (source_workflow_id, event_timestamp);
CREATE INDEX IF NOT EXISTS events_experiment_ts ON events (source_experiment_id, event_timestamp);
CREATE INDEX IF NOT EXISTS events_user_ts ON events (source_user_id, event_timestamp);
CREATE INDEX IF NOT EXISTS events_archived_at ON events (archived, archived_at);
`;

/**
 * Creates every secondary index of the events table that the file lacks: at init, and after a
 * restore's swap (which renames a table holding none). The text index has its own life
 * (text-index.ts: built in bulk there).
 */
function ensureEventsIndexes(db: Database.Database, onProgress?: (message: string) => void): void {
  db.exec(EVENTS_INDEXES);
  ensureLoggedTypeIndex(db, onProgress);
}

const SCHEMA = `${eventsTableSql('events')}
CREATE TABLE IF NOT EXISTS locks (
  name TEXT PRIMARY KEY NOT NULL,
  owner TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  acquired_at INTEGER NOT NULL
);
`;

const COLUMN_NAMES = [
  'id',
  'event_type',
  'log_level',
  'alert',
  'event_timestamp',
  'received_at',
  ...SOURCE_KEYS.map((key) => `source_${key}`),
  'event_data',
  'trace_id',
  'span_id',
  'archived',
  'archived_at',
  'search_text',
];

type Row = Record<string, string | number | null>;

/** A row's values in {@link COLUMN_NAMES} order. */
function toRow(doc: EventDocument): (string | number | null)[] {
  return [
    doc._id,
    doc.event_type,
    doc.log_level,
    doc.alert ? 1 : 0,
    doc.event_timestamp.getTime(),
    doc.received_at.getTime(),
    ...SOURCE_KEYS.map((key) => doc.source[key] ?? null),
    JSON.stringify(doc.event_data ?? {}),
    doc.trace_id,
    doc.span_id,
    doc.archived ? 1 : 0,
    doc.archived_at ? doc.archived_at.getTime() : null,
    doc.search_text,
  ];
}

/** The stored document a row holds (the same shape the MongoDB store keeps). */
function fromRow(row: Row): EventDocument {
  const source: EventSourceDocument = {};
  for (const key of SOURCE_KEYS) {
    const value = row[`source_${key}`];
    if (typeof value === 'string') source[key] = value;
  }
  return {
    _id: row.id as string,
    event_type: row.event_type as string,
    log_level: (row.log_level ?? 20) as number,
    alert: row.alert === 1,
    event_timestamp: new Date(row.event_timestamp as number),
    // A projected read (see PROJECTED_COLUMNS) leaves columns out: those read as defaults.
    received_at: new Date((row.received_at ?? row.event_timestamp) as number),
    source,
    event_data: row.event_data === undefined ? {} : (JSON.parse(row.event_data as string) as unknown),
    trace_id: (row.trace_id as string | null) ?? null,
    span_id: (row.span_id as string | null) ?? null,
    archived: row.archived === 1,
    archived_at: row.archived_at === null || row.archived_at === undefined ? null : new Date(row.archived_at as number),
    search_text: (row.search_text as string | undefined) ?? '',
  };
}

/** The columns holding each document field, for projected reads. */
const PROJECTED_COLUMNS: Readonly<Record<keyof EventDocument, readonly string[]>> = {
  _id: ['id'],
  event_type: ['event_type'],
  log_level: ['log_level'],
  alert: ['alert'],
  event_timestamp: ['event_timestamp'],
  received_at: ['received_at'],
  source: SOURCE_KEYS.map((key) => `source_${key}`),
  event_data: ['event_data'],
  trace_id: ['trace_id'],
  span_id: ['span_id'],
  archived: ['archived'],
  archived_at: ['archived_at'],
  search_text: ['search_text'],
};

/** `INSERT OR IGNORE` of `rows` whole rows (every column, in {@link COLUMN_NAMES} order) into `table`. */
const insertOrIgnoreSql = (table: string, rows = 1) =>
  `INSERT OR IGNORE INTO ${table} (${COLUMN_NAMES.join(', ')}) VALUES ${Array<string>(rows)
    .fill(`(${COLUMN_NAMES.map(() => '?').join(', ')})`)
    .join(', ')}`;

/** What a closed store throws (named so that it reads as the database being unavailable). */
const closedError = () => new StoreUnavailableError(new Error('The SQLite store is closed'));

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Every literal substring test of 3 or more characters narrowed by the text index (counts read every match anyway). */
const TEXT_INDEX_ALWAYS: SqlOptions = { textIndex: { sql: TEXT_INDEX_SQL, query: trigramQuery } };

/** Options of {@link SqliteEventStore}. */
export interface SqliteStoreOptions {
  /** Progress of long one-off work at init (building the text index of an existing database). */
  onProgress?: (message: string) => void;
}

/**
 * Names of a restore's objects in the file (see {@link SqliteEventStore.restoreAll}) start with
 * this: `restore_staging_<token>`, `restore_captured_<token>` (tables), `restore_capture_<token>`
 * (trigger). No other object's name does.
 */
const RESTORE_PREFIX = 'restore_';

/**
 * Rows per INSERT statement when a restore loads its staging table: one statement binding many
 * rows takes about a fifth less CPU than as many single-row statements
 * (docs/performance.md#backup-and-restore).
 */
const STAGE_ROWS = 64;

/**
 * A MERGE into a store of up to this many times the staged events rebuilds the text index in bulk
 * instead of adding each row's entries (see {@link SqliteEventStore.mergeAll}).
 */
const TEXT_REBUILD_RATIO = 16;

/**
 * The embedded store: one SQLite file (WAL) through better-sqlite3. Selectors are pushed down to
 * SQL where they can be ({@link selectorToSql}); whatever is left is evaluated with mingo, so
 * every selector means what it means on MongoDB.
 */
export class SqliteEventStore implements EventStore {
  readonly engine = 'sqlite' as const;
  private db: Database.Database | null = null;
  /** Long reads (scans, aggregates) run here, off the event loop; null for `:memory:`. */
  private reader: SqliteReadWorker | null = null;
  /** WAL checkpoints run here, off the event loop; null for `:memory:`. */
  private checkpointer: SqliteCheckpointWorker | null = null;

  /** @param file path of the database file, or `:memory:`. */
  constructor(
    private readonly file: string,
    private readonly options: SqliteStoreOptions = {},
  ) {}

  async init(): Promise<void> {
    if (this.db) return;
    if (this.file !== ':memory:') fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const db = new Database(this.file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
    ensureTextIndex(db, this.options.onProgress);
    ensureEventsIndexes(db, this.options.onProgress);
    this.db = db;
    this.dropRestoreLeftovers();
    if (this.file !== ':memory:') {
      this.reader = new SqliteReadWorker(this.file);
      // Checkpoints on a worker; this connection's own only as a backstop (see checkpoint-worker.ts).
      db.pragma(`wal_autocheckpoint = ${BACKSTOP_AUTOCHECKPOINT_PAGES}`);
      this.checkpointer = new SqliteCheckpointWorker(this.file);
    }
  }

  async close(): Promise<void> {
    await this.reader?.close();
    this.reader = null;
    await this.checkpointer?.close();
    this.checkpointer = null;
    this.statements.clear();
    this.db?.close();
    this.db = null;
  }

  private get conn(): Database.Database {
    if (!this.db) throw closedError();
    return this.db;
  }

  async ping(): Promise<StorePing> {
    const started = performance.now();
    try {
      const { version } = this.conn.prepare('SELECT sqlite_version() AS version').get() as { version: string };
      return { connected: true, engine: 'sqlite', version, latencyMs: performance.now() - started };
    } catch {
      return { connected: false, engine: 'sqlite', version: null, latencyMs: null };
    }
  }

  /** Concurrent calls share a transaction (see {@link InsertBatcher}); a failed one wrote nothing. */
  private readonly inserts = new InsertBatcher((docs) => this.insertOutcomes(docs));

  async insertMany(docs: readonly EventDocument[]): Promise<InsertResult> {
    return this.inserts.insert(docs);
  }

  /** Inserts into `events` in one transaction; per document, whether it was new. */
  private insertOutcomes(docs: readonly EventDocument[]): DocOutcome[] {
    const insert = this.statement(insertOrIgnoreSql('events'));
    const outcomes = this.conn.transaction(() =>
      docs.map((doc): DocOutcome => (insert.run(toRow(doc)).changes === 1 ? 'inserted' : 'duplicate')),
    )();
    this.checkpointer?.afterCommit();
    return outcomes;
  }

  async findByIds(ids: readonly string[]): Promise<EventDocument[]> {
    if (ids.length === 0) return [];
    if (ids.length === 1) {
      const row = this.statement('SELECT * FROM events WHERE id = ?').get(ids[0]) as Row | undefined;
      return row ? [fromRow(row)] : [];
    }
    const rows = this.statement('SELECT * FROM events WHERE id IN (SELECT value FROM json_each(?))').all(
      JSON.stringify(ids),
    ) as Row[];
    return rows.map(fromRow);
  }

  async find(selector: Selector, options: FindOptions): Promise<EventDocument[]> {
    const where = selectorToSql(selector);
    const skip = options.skip ?? 0;
    if (where.exact) {
      const { sql, params } = this.limitedPageSql(selector, options.order, options.limit, skip);
      const rows = this.statement(sql).all(...params) as Row[];
      return rows.map(fromRow);
    }
    const out: EventDocument[] = [];
    let toSkip = skip;
    for await (const doc of this.scan(selector, where, options.order)) {
      if (toSkip > 0) toSkip--;
      else if (out.push(doc) >= options.limit) break;
    }
    return out;
  }

  async exists(selector: Selector): Promise<boolean> {
    return (await this.find(selector, { order: { field: 'event_timestamp', direction: -1 }, limit: 1 })).length > 0;
  }

  async count(selector: Selector, options: CountOptions = {}): Promise<number> {
    const where = selectorToSql(selector, TEXT_INDEX_ALWAYS);
    const limit = options.limit;
    if (where.exact) {
      const filtered = `FROM events ${this.countAccess(selector)}${where.sql ? ` WHERE ${where.sql}` : ''}`;
      const [row] = await this.read<{ n: number }>(
        limit === undefined
          ? `SELECT count(*) AS n ${filtered}`
          : `SELECT count(*) AS n FROM (SELECT 1 ${filtered} LIMIT ?)`,
        limit === undefined ? where.params : [...where.params, limit],
      );
      return row!.n;
    }
    let n = 0;
    for await (const _doc of this.scan(selector, where, { field: 'event_timestamp', direction: 1 })) {
      if (++n === limit) break;
    }
    return n;
  }

  /**
   * How a count reads `events`: from the text index's candidates for a rare top-level term, along
   * one index per value for a multi-value filter (as a page does, see {@link limitedPageSql}), else
   * as SQLite chooses (which, for these, is a walk of every active event).
   */
  private countAccess(selector: Selector): string {
    const term = topLevelTextTerm(selector);
    if (term !== null && isRareTerm(this.conn, term)) return 'NOT INDEXED';
    const split = splitPerValue(selector, { field: 'event_timestamp', direction: -1 });
    return split ? `INDEXED BY ${split.index}` : '';
  }

  async *stream(
    selector: Selector,
    options: { order: ReadOrder; chunkSize?: number; projection?: readonly (keyof EventDocument)[] },
  ): AsyncIterable<EventDocument> {
    const where = selectorToSql(selector);
    // A selector SQL cannot fully answer is checked on whole documents, so it reads every column.
    const columns =
      options.projection && where.exact
        ? [
            ...new Set([
              'id',
              'event_type',
              options.order.field,
              ...options.projection.flatMap((field) => PROJECTED_COLUMNS[field]),
            ]),
          ].join(', ')
        : '*';
    yield* this.scan(selector, where, options.order, options.chunkSize, columns);
  }

  readTyped(types: readonly string[], window?: { from: number; to: number }): AsyncIterable<TypedEventRow[]> {
    return readTyped(async (sql, params) => (await this.read<unknown[]>(sql, params, true))[0]![0], types, window);
  }

  async findIds(selector: Selector, options: FindOptions): Promise<string[]> {
    const where = selectorToSql(selector);
    if (!where.exact) return (await this.find(selector, options)).map((doc) => doc._id);
    const { sql, params } = this.limitedPageSql(
      selector,
      options.order,
      options.limit,
      options.skip ?? 0,
      `id, ${options.order.field}`,
    );
    const rows = this.statement(sql).all(...params) as { id: string }[];
    return rows.map((row) => row.id);
  }

  async setArchived(ids: readonly string[], archivedAt: Date | null): Promise<number> {
    if (ids.length === 0) return 0;
    // `+archived`: look the ids up by primary key; on `archived = ?` alone SQLite would walk the
    // archived index over every active (or archived) row, for each batch.
    const info = this.statement(
      'UPDATE events SET archived = ?, archived_at = ? WHERE +archived = ? AND id IN (SELECT value FROM json_each(?))',
    ).run(archivedAt ? 1 : 0, archivedAt ? archivedAt.getTime() : null, archivedAt ? 0 : 1, JSON.stringify(ids));
    this.checkpointer?.afterCommit();
    return info.changes;
  }

  async deleteMany(selector: Selector): Promise<number> {
    try {
      return await this.deleteMatching(selector);
    } finally {
      this.checkpointer?.afterCommit();
    }
  }

  private async deleteMatching(selector: Selector): Promise<number> {
    const where = selectorToSql(selector);
    if (where.exact) {
      return this.statement(`DELETE FROM events${where.sql ? ` WHERE ${where.sql}` : ''}`).run(...where.params).changes;
    }
    let deleted = 0;
    const ids: string[] = [];
    for await (const doc of this.scan(selector, where, { field: 'event_timestamp', direction: 1 })) ids.push(doc._id);
    const remove = this.statement('DELETE FROM events WHERE id IN (SELECT value FROM json_each(?))');
    for (let i = 0; i < ids.length; i += 1000) deleted += remove.run(JSON.stringify(ids.slice(i, i + 1000))).changes;
    return deleted;
  }

  /**
   * See {@link EventStore.replaceAll} and {@link restoreAll}. A trigger captures the ids of events
   * inserted from the start, by any connection or process; at the swap, captured events still
   * stored replace staged ones of the same id, and the staged table becomes the events table.
   */
  async replaceAll(batches: AsyncIterable<readonly EventDocument[]>): Promise<ReplaceResult> {
    return this.restoreAll(batches, 'replace').finally(() => this.checkpointer?.afterCommit());
  }

  /**
   * See {@link EventStore.mergeAll} and {@link restoreAll}: at the swap, into an empty store the
   * staged table becomes the events table; else the staged rows whose ids are not stored are
   * copied in (`INSERT OR IGNORE`), so events logged meanwhile win over loaded ones of the same id.
   */
  async mergeAll(batches: AsyncIterable<readonly EventDocument[]>): Promise<ReplaceResult> {
    return this.restoreAll(batches, 'merge').finally(() => this.checkpointer?.afterCommit());
  }

  /**
   * A restore, all or nothing: the documents go to a staging table with the events table's
   * definition and its primary key only, in batches of their own transactions (outside any long
   * transaction, so logging goes on, and the events stay as they are); then one IMMEDIATE
   * transaction swaps. Swapping the staged table in (REPLACE, or MERGE into an empty store) drops
   * the events table, renames the staged one and builds the secondary indexes and the text index
   * in bulk, several times cheaper than maintaining them per row (docs/performance.md#backup-and-restore).
   * Until that commits the events are untouched, and a failure rolls it back. The swap holds the
   * write lock, and this thread, while it builds (about 9 CPU seconds per 1 000 000 events on a 2-core
   * machine). Another process's {@link init} or restore drops these objects: this restore then
   * fails with nothing changed.
   */
  private async restoreAll(
    batches: AsyncIterable<readonly EventDocument[]>,
    mode: 'replace' | 'merge',
  ): Promise<ReplaceResult> {
    this.dropRestoreLeftovers();
    const token = `${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
    const staging = `${RESTORE_PREFIX}staging_${token}`;
    const captured = `${RESTORE_PREFIX}captured_${token}`;
    const trigger = `${RESTORE_PREFIX}capture_${token}`;
    const columns = COLUMN_NAMES.join(', ');
    const conn = this.conn;
    // One transaction: the staging table exists exactly when capture runs.
    conn
      .transaction(() => {
        conn.exec(eventsTableSql(staging));
        if (mode === 'replace') {
          conn.exec(`CREATE TABLE ${captured} (id TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID`);
          conn.exec(
            `CREATE TRIGGER ${trigger} AFTER INSERT ON events BEGIN INSERT OR IGNORE INTO ${captured} (id) VALUES (NEW.id); END`,
          );
        }
      })
      .immediate();
    try {
      const stageOne = conn.prepare(insertOrIgnoreSql(staging));
      const stageMany = conn.prepare(insertOrIgnoreSql(staging, STAGE_ROWS));
      // One transaction per batch; an id already staged is skipped (counted as repeated).
      const stage = conn.transaction((docs: readonly EventDocument[]): number => {
        let inserted = 0;
        let i = 0;
        for (; i + STAGE_ROWS <= docs.length; i += STAGE_ROWS) {
          const values: (string | number | null)[] = [];
          for (let j = i; j < i + STAGE_ROWS; j++) values.push(...toRow(docs[j]!));
          inserted += stageMany.run(values).changes;
        }
        for (; i < docs.length; i++) inserted += stageOne.run(toRow(docs[i]!)).changes;
        return inserted;
      });
      let staged = 0;
      let repeated = 0;
      for await (const batch of batches) {
        const inserted = stage(batch);
        this.checkpointer?.afterCommit();
        staged += inserted;
        repeated += batch.length - inserted;
      }
      return conn
        .transaction((): ReplaceResult => {
          if (mode === 'merge') {
            if (conn.prepare('SELECT 1 FROM events LIMIT 1').get() === undefined) {
              this.swapIn(staging);
              return { insertedCount: staged, skippedCount: repeated };
            }
            const { n: stored } = conn.prepare('SELECT count(*) AS n FROM events').get() as { n: number };
            const copy = () =>
              conn.prepare(`INSERT OR IGNORE INTO events (${columns}) SELECT ${columns} FROM ${staging}`).run().changes;
            // Rebuilding the text index reads every event; it beats per-row upkeep (about 20 times
            // dearer per event) unless the store is far larger than what is added.
            const inserted = staged * TEXT_REBUILD_RATIO >= stored ? withTextIndexRebuilt(conn, copy) : copy();
            conn.exec(`DROP TABLE ${staging}`);
            return { insertedCount: inserted, skippedCount: repeated + staged - inserted };
          }
          conn.exec(`DROP TRIGGER ${trigger}`);
          const stillCaptured = `SELECT id FROM events WHERE id IN (SELECT id FROM ${captured})`;
          const { n: displaced } = conn
            .prepare(`SELECT count(*) AS n FROM ${staging} WHERE id IN (${stillCaptured})`)
            .get() as { n: number };
          conn.exec(`DELETE FROM ${staging} WHERE id IN (${stillCaptured})`);
          conn.exec(
            `INSERT INTO ${staging} (${columns}) SELECT ${columns} FROM events WHERE id IN (SELECT id FROM ${captured})`,
          );
          conn.exec(`DROP TABLE ${captured}`);
          this.swapIn(staging);
          return { insertedCount: staged - displaced, skippedCount: repeated + displaced };
        })
        .immediate();
    } catch (error) {
      try {
        this.dropRestoreObjects(mode === 'replace' ? [trigger] : [], [staging, captured]);
      } catch {
        // The store closed or the file failed: the next init drops them.
      }
      throw error;
    }
  }

  /**
   * Inside the caller's transaction: the staged table becomes the events table (the old one, its
   * indexes and triggers dropped), then its secondary indexes (the reports' logged-type index
   * too) and the text index are built.
   */
  private swapIn(staging: string): void {
    const conn = this.conn;
    withTextIndexRebuilt(conn, () => {
      conn.exec('DROP TABLE events');
      conn.exec(`ALTER TABLE ${staging} RENAME TO events`);
      ensureEventsIndexes(conn);
    });
  }

  /** Drops what a replace cut off by a crash (or running in another process) left in the file. */
  private dropRestoreLeftovers(): void {
    const objects = this.conn
      .prepare(`SELECT type, name FROM sqlite_master WHERE type IN ('table', 'trigger') AND name LIKE ? ESCAPE '\\'`)
      .all(`${RESTORE_PREFIX.replace(/_/g, '\\_')}%`) as { type: 'table' | 'trigger'; name: string }[];
    if (objects.length === 0) return;
    const names = (type: string) => objects.filter((o) => o.type === type).map((o) => o.name);
    this.dropRestoreObjects(names('trigger'), names('table'));
  }

  /** Drops a replace's triggers and tables in one transaction, triggers first (a capture trigger without its table would fail every insert). */
  private dropRestoreObjects(triggers: readonly string[], tables: readonly string[]): void {
    const conn = this.conn;
    conn
      .transaction(() => {
        for (const name of triggers) conn.exec(`DROP TRIGGER IF EXISTS "${name}"`);
        for (const name of tables) conn.exec(`DROP TABLE IF EXISTS "${name}"`);
      })
      .immediate();
  }

  async countGroups(selector: Selector, options: CountGroupsOptions): Promise<GroupCount[]> {
    const where = selectorToSql(selector);
    if (!where.exact)
      return countGroupsOf(this.scan(selector, where, { field: 'event_timestamp', direction: 1 }), options);
    const key = options.groupField === null ? 'NULL' : COLUMNS[options.groupField]?.name;
    if (!key) throw new Error(`Cannot group by ${options.groupField}`);
    const filter = where.sql ? ` AND (${where.sql})` : '';
    const boundaries = options.bucketBoundaries;
    if (!boundaries) {
      const rows = await this.read<{ k: string | number | null; n: number }>(
        `SELECT ${key} AS k, count(*) AS n FROM events WHERE 1${filter} GROUP BY k`,
        where.params,
      );
      return rows.map((row) => ({ key: row.k, bucket: null, count: row.n }));
    }
    if (boundaries.length < 2) return [];
    // One range per bucket, joined to the events: each bucket is an index range scan on
    // event_timestamp, and bucket edges are exact instants computed by the caller (time zones
    // and DST included), so SQL never does calendar arithmetic.
    const ranges = JSON.stringify(boundaries.slice(0, -1).map((lo, i) => [lo, boundaries[i + 1]]));
    // The bucket columns are named so that none shadows a column of events in `filter`.
    const rows = await this.read<{ bucket_index: number; k: string | number | null; n: number }>(
      `WITH buckets (bucket_index, bucket_lo, bucket_hi) AS MATERIALIZED (
         SELECT key, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?))
       SELECT bucket_index, ${key} AS k, count(*) AS n
       FROM buckets CROSS JOIN events
       WHERE event_timestamp >= bucket_lo AND event_timestamp < bucket_hi${filter}
       GROUP BY bucket_index, k`,
      [ranges, ...where.params],
    );
    return rows.map((row) => ({ key: row.k, bucket: row.bucket_index, count: row.n }));
  }

  async acquireLease(name: string, owner: string, now: Date, expiresAt: Date): Promise<boolean> {
    // One statement, so atomic: takes a free name, or an expired lease, or renews our own.
    const info = this.statement(
      `INSERT INTO locks (name, owner, expires_at, acquired_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at, acquired_at = excluded.acquired_at
       WHERE locks.expires_at <= ? OR locks.owner = excluded.owner`,
    ).run(name, owner, expiresAt.getTime(), now.getTime(), now.getTime());
    return info.changes === 1;
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    this.statement('DELETE FROM locks WHERE name = ? AND owner = ?').run(name, owner);
  }

  /** The query plan SQLite chooses for a page read (for tests that check index use). */
  explainFind(selector: Selector, order: ReadOrder): string[] {
    const { sql, params } = this.limitedPageSql(selector, order, 100, 0);
    const rows = this.conn.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[];
    return rows.map((row) => row.detail);
  }

  /**
   * The whole SELECT of a page of an exactly translated selector, LIMIT and OFFSET included:
   * * a top-level `text` term the text index finds in few events is read from the index (its
   *   candidates looked up by rowid, then sorted), not along the page's order;
   * * an `$in` over an indexed column is read as one index seek per value, each limited, merged
   *   by (event_timestamp, id) ({@link splitPerValue});
   * * anything else is one {@link pageSql}.
   */
  private limitedPageSql(
    selector: Selector,
    order: ReadOrder,
    limit: number,
    skip: number,
    columns = '*',
  ): { sql: string; params: unknown[] } {
    const term = topLevelTextTerm(selector);
    if (term !== null && isRareTerm(this.conn, term)) {
      const where = selectorToSql(selector, {
        textIndex: { sql: TEXT_INDEX_SQL, query: (literal) => (literal === term ? trigramQuery(literal) : null) },
      });
      const { sql, params } = this.pageSql(where, order, columns, 'NOT INDEXED');
      return { sql: `${sql} LIMIT ? OFFSET ?`, params: [...params, limit, skip] };
    }
    const where = selectorToSql(selector);
    const split = splitPerValue(selector, order);
    const seeks = split?.selectors.map((sel) => selectorToSql(sel));
    if (!split || !seeks || !seeks.every((seek) => seek.exact)) {
      const { sql, params } = this.pageSql(where, order, columns);
      return { sql: `${sql} LIMIT ? OFFSET ?`, params: [...params, limit, skip] };
    }
    const dir = order.direction === 1 ? 'ASC' : 'DESC';
    const params: unknown[] = [];
    const parts = seeks.map((seek) => {
      const one = this.pageSql(seek, order, columns, `INDEXED BY ${split.index}`);
      params.push(...one.params, limit + skip);
      return `SELECT * FROM (${one.sql} LIMIT ?)`;
    });
    params.push(limit, skip);
    return {
      sql: `${parts.join(' UNION ALL ')} ORDER BY ${order.field} ${dir}, id ${dir} LIMIT ? OFFSET ?`,
      params,
    };
  }

  /**
   * SELECT for a page: pushed-down WHERE, keyset position, ORDER BY (field, id); `access` is an
   * `INDEXED BY <index>` or `NOT INDEXED` clause (see {@link limitedPageSql}).
   */
  private pageSql(
    where: Translation,
    order: ReadOrder,
    columns = '*',
    access?: string,
  ): { sql: string; params: unknown[] } {
    const dir = order.direction === 1 ? 'ASC' : 'DESC';
    const conditions: string[] = [];
    const params: unknown[] = [];
    if (order.after) {
      // Row values let SQLite seek the (field, id) index instead of filtering. They come first:
      // SQLite takes the first range it meets on a column, and a range of the selector (a `from`)
      // would make every chunk of a long read seek from the selector's start instead (measured:
      // 33 ms instead of 0.3 ms per 100-row page 250 000 rows into a range).
      const beyond = order.direction === 1 ? '>' : '<';
      conditions.push(`(${order.field}, id) ${beyond} (?, ?)`, `${order.field} ${beyond}= ?`);
      params.push(order.after.value.getTime(), order.after.id, order.after.value.getTime());
    }
    if (where.sql) conditions.push(where.sql);
    params.push(...where.params);
    const whereSql = conditions.length ? ` WHERE ${conditions.map((c) => `(${c})`).join(' AND ')}` : '';
    const from = access ? `events ${access}` : 'events';
    return { sql: `SELECT ${columns} FROM ${from}${whereSql} ORDER BY ${order.field} ${dir}, id ${dir}`, params };
  }

  /**
   * Rows matching the pushed-down SQL, in order, in keyset chunks read off the event loop (see
   * {@link read}), that the whole selector matches (mingo).
   */
  private async *scan(
    selector: Selector,
    where: Translation,
    order: ReadOrder,
    chunkSize = SCAN_CHUNK,
    columns = '*',
  ): AsyncGenerator<EventDocument> {
    // An exact translation needs no second check.
    const query = where.exact ? null : new Query(selector);
    const chunk = (after: ReadOrder['after']) => {
      const { sql, params } = this.pageSql(where, { ...order, ...(after ? { after } : {}) }, columns);
      const rows = this.read<Row>(`${sql} LIMIT ?`, [...params, chunkSize]);
      // Handled at once: it may fail while the reader is busy with the previous chunk (it then
      // fails the `await` below), or after a reader that stopped early has gone.
      rows.catch(() => undefined);
      return rows;
    };
    let pending = chunk(order.after);
    for (;;) {
      const rows = await pending;
      const last = rows.at(-1);
      if (rows.length < chunkSize || !last) pending = Promise.resolve([]);
      // The next chunk is read (on the read worker) while this one is turned into documents.
      else pending = chunk({ value: new Date(last[order.field] as number), id: last.id as string });
      for (const row of rows) {
        const doc = fromRow(row);
        if (!query || query.test(doc as unknown as Record<string, unknown>)) yield doc;
      }
      if (rows.length < chunkSize) return;
    }
  }

  /**
   * The rows of a read that may walk many rows: on the read worker (off the event loop) when
   * there is one, else here, giving the event loop a turn first.
   */
  private async read<T>(sql: string, params: readonly unknown[], raw = false): Promise<T[]> {
    if (!this.db) throw closedError();
    if (this.reader) return this.reader.all<T>(sql, params, raw);
    await yieldToEventLoop();
    return this.statement(sql)
      .raw(raw)
      .all(...params) as T[];
  }

  private readonly statements = new Map<string, Database.Statement>();

  /** Prepared statements are cached by text. */
  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.conn.prepare(sql);
      if (this.statements.size > 500) this.statements.clear();
      this.statements.set(sql, statement);
    }
    return statement;
  }
}
