import type Database from 'better-sqlite3';
import type { Selector } from '../event-store';
import { conjuncts } from './merged-seeks';
import { regexLiteral } from './selector-to-sql';

/*
 * The index behind the `text` filter on SQLite (docs/performance.md#text-search): an FTS5 table
 * over `events.search_text` with the trigram tokenizer, kept by triggers in the same transaction
 * as every write to `events`. It stores no text of its own (external content) and no positions
 * (`detail=none`: 48 MB for 1 000 000 events), so a search term is asked as the AND of its
 * trigrams: a superset of the rows holding it, each then checked with `instr` (the scan's exact
 * test), so results are exactly those of the scan. Terms shorter than 3 characters have no
 * trigram and are scanned.
 */

const TABLE = 'events_fts';

const CREATE_TABLE = `CREATE VIRTUAL TABLE ${TABLE} USING fts5(
  search_text, content='events', content_rowid='rowid', tokenize='trigram case_sensitive 0', detail=none)`;

const TRIGGERS: Readonly<Record<string, string>> = {
  events_fts_insert: `AFTER INSERT ON events BEGIN
    INSERT INTO ${TABLE} (rowid, search_text) VALUES (new.rowid, new.search_text); END`,
  events_fts_delete: `AFTER DELETE ON events BEGIN
    INSERT INTO ${TABLE} (${TABLE}, rowid, search_text) VALUES ('delete', old.rowid, old.search_text); END`,
  events_fts_update: `AFTER UPDATE OF search_text ON events BEGIN
    INSERT INTO ${TABLE} (${TABLE}, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
    INSERT INTO ${TABLE} (rowid, search_text) VALUES (new.rowid, new.search_text); END`,
};

/**
 * FTS5's `hashsize`, the pending index data it keeps in memory before writing a segment: its
 * default (1 MiB) for writes, whose transactions write their entries at commit anyway, and 16 MiB
 * while a bulk rebuild runs, which then writes fewer, larger segments and merges less: a third less
 * CPU (2.9 -> 2.0 s for 1 000 000 events) for up to 16 MiB more memory while it runs
 * (docs/performance.md#backup-and-restore).
 */
const HASH_BYTES = { default: 1024 * 1024, rebuild: 16 * 1024 * 1024 };

/** Rows indexed per step when an existing database gets its index. */
const BACKFILL_CHUNK = 100_000;

/**
 * Candidates a term may have to drive a page read from the index; a more common term is read
 * along the page's order instead, where matches come soon (see {@link isRareTerm}).
 */
export const RARE_TERM_CANDIDATES = 2000;

function createTriggers(db: Database.Database): void {
  for (const [name, body] of Object.entries(TRIGGERS)) db.exec(`CREATE TRIGGER IF NOT EXISTS ${name} ${body}`);
}

/**
 * Creates the index and its triggers if the file has none (a database from before it, or a new
 * one), indexing the stored events in one IMMEDIATE transaction (writers wait; about 15-20 s
 * per 1 000 000 events on a busy 2-core machine), reporting progress per chunk.
 */
export function ensureTextIndex(
  db: Database.Database,
  onProgress?: (message: string) => void,
  chunk = BACKFILL_CHUNK,
): void {
  const exists = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(TABLE);
  if (exists) {
    createTriggers(db);
    return;
  }
  db.transaction(() => {
    db.exec(CREATE_TABLE);
    createTriggers(db);
    const { n: total } = db.prepare('SELECT count(*) AS n FROM events').get() as { n: number };
    if (total === 0) return;
    onProgress?.(`Indexing the text of ${total} stored events for the text filter (once)`);
    const started = Date.now();
    // Chunks by the events' rowids (an external-content index reads its rowids from them too).
    const chunkEnd = db.prepare(
      `SELECT max(rowid) AS r FROM (SELECT rowid FROM events WHERE rowid > ? ORDER BY rowid LIMIT ${chunk})`,
    );
    const step = db.prepare(
      `INSERT INTO ${TABLE} (rowid, search_text) SELECT rowid, search_text FROM events WHERE rowid > ? AND rowid <= ?`,
    );
    let done = 0;
    let after = Number.MIN_SAFE_INTEGER;
    for (;;) {
      const { r: end } = chunkEnd.get(after) as { r: number | null };
      if (end === null) break;
      done += step.run(after, end).changes;
      after = end;
      onProgress?.(`Indexed the text of ${done} / ${total} events`);
    }
    onProgress?.(`Text index ready: ${done} events in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }).immediate();
}

/**
 * Runs `body` (inside the caller's transaction) with the index's triggers dropped, then rebuilds
 * the index from `events` and restores the triggers: for a statement that rewrites every event
 * (a restore's swap), where one bulk rebuild beats deleting and adding each row's entries, and
 * where `DELETE FROM events` may truncate (SQLite cannot while a trigger is defined).
 */
export function withTextIndexRebuilt<T>(db: Database.Database, body: () => T): T {
  for (const name of Object.keys(TRIGGERS)) db.exec(`DROP TRIGGER IF EXISTS ${name}`);
  const result = body();
  // A literal: FTS5 takes an integer only, and a bound JS number is a REAL.
  const hashSize = (bytes: number) =>
    db.exec(`INSERT INTO ${TABLE} (${TABLE}, rank) VALUES ('hashsize', ${Math.trunc(bytes)})`);
  hashSize(HASH_BYTES.rebuild);
  db.exec(`INSERT INTO ${TABLE} (${TABLE}) VALUES ('rebuild')`);
  hashSize(HASH_BYTES.default);
  createTriggers(db);
  return result;
}

/** The FTS5 query for a term: the AND of its distinct trigrams, or null when it has fewer than 3 characters. */
export function trigramQuery(term: string): string | null {
  const chars = [...term];
  if (chars.length < 3) return null;
  const grams = new Set<string>();
  for (let i = 0; i + 3 <= chars.length; i++) grams.add(chars.slice(i, i + 3).join(''));
  return [...grams].map((gram) => `"${gram.replace(/"/g, '""')}"`).join(' AND ');
}

/** SQL restricting `events` to the candidate rows of a {@link trigramQuery} (its one parameter). */
export const TEXT_INDEX_SQL = `rowid IN (SELECT rowid FROM ${TABLE} WHERE ${TABLE} MATCH ?)`;

/** Whether the index holds fewer than {@link RARE_TERM_CANDIDATES} candidate rows for `term`. */
export function isRareTerm(db: Database.Database, term: string): boolean {
  const query = trigramQuery(term);
  if (query === null) return false;
  const { n } = db
    .prepare(`SELECT count(*) AS n FROM (SELECT rowid FROM ${TABLE} WHERE ${TABLE} MATCH ? LIMIT ?)`)
    .get(query, RARE_TERM_CANDIDATES) as { n: number };
  return n < RARE_TERM_CANDIDATES;
}

/**
 * The literal text of a top-level `search_text` substring condition of a selector (the `text`
 * filter's `{ search_text: { $regex: <escaped> } }`, alone or as a conjunct), or null.
 */
export function topLevelTextTerm(selector: Selector): string | null {
  for (const part of conjuncts(selector)) {
    if (part === null || typeof part !== 'object') continue;
    const condition = (part as Record<string, unknown>).search_text;
    if (condition === null || typeof condition !== 'object') continue;
    const keys = Object.keys(condition);
    const pattern = (condition as Record<string, unknown>).$regex;
    if (keys.length === 1 && typeof pattern === 'string') {
      const literal = regexLiteral(pattern);
      if (literal !== null && trigramQuery(literal) !== null) return literal;
    }
  }
  return null;
}
