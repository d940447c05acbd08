import type Database from 'better-sqlite3';
import { SOURCE_KEYS } from '../event-document';
import type { TypedEventRow } from '../event-store';

/*
 * The utilization reports' read on SQLite (docs/performance.md#utilization-reports): events by
 * effective type (docs/madsci-compatibility.md#d1-effective-event-type), one index range per
 * type, merged by (event_timestamp, id) here, in chunks read on the read worker.
 *
 * A `log*` event whose `event_data.event_type` names a type counts as that type. The index
 * `events_logged_type_ts` holds, for every `log*` event whose `event_data.event_type` is a
 * string, that string trimmed of spaces, lower-cased (ASCII) and without an `eventtype.` prefix,
 * or `~` when what is left holds anything but `a-z`, `_` and `.` (other whitespace, non-ASCII
 * letters: JavaScript's `trim` and `toLowerCase` may read those differently). So the events of
 * type `t` are the range `t` of that index plus the range `~` (checked by the caller), and no
 * report scans the log events' text any more.
 */

const EXTRACTED = `lower(trim(json_extract(event_data, '$.event_type')))`;

/** The index's key: see above; NULL for other events. The CASEs keep `json_type` off invalid JSON. */
export const LOGGED_TYPE_SQL = `(CASE WHEN event_type GLOB 'log*' THEN CASE WHEN json_valid(event_data) THEN
  CASE WHEN json_type(event_data, '$.event_type') = 'text' THEN
    CASE WHEN ${EXTRACTED} GLOB '*[^a-z_.]*' THEN '~'
      WHEN ${EXTRACTED} GLOB 'eventtype.*' THEN substr(${EXTRACTED}, 11)
      ELSE ${EXTRACTED} END
  END END END)`;

/** The key of log events whose named type the index could not normalise. */
export const ODD_LOGGED_TYPE = '~';

const INDEX = 'events_logged_type_ts';

/**
 * Creates the logged-type index if the file has none (a new database, or one from before it:
 * then it is built now, about a second per 1 000 000 events with a third of them logs).
 */
export function ensureLoggedTypeIndex(db: Database.Database, onProgress?: (message: string) => void): void {
  if (db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?`).get(INDEX)) return;
  const started = performance.now();
  const { n } = db.prepare('SELECT count(*) AS n FROM events').get() as { n: number };
  if (n > 0) onProgress?.(`Indexing the named types of the log events among ${n} stored events (once)`);
  db.exec(
    `CREATE INDEX IF NOT EXISTS ${INDEX} ON events (${LOGGED_TYPE_SQL}, event_timestamp, id) WHERE ${LOGGED_TYPE_SQL} IS NOT NULL`,
  );
  if (n > 0) onProgress?.(`Log type index ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/**
 * What a typed read returns of each row: the {@link TypedEventRow} as JSON text built in SQL, with
 * `event_data` (JSON text as stored) put in as it is and only the source fields that are set, so
 * that one `JSON.parse` of a whole chunk gives every row, payload parsed, and the worker hands
 * over a single string.
 */
const ROW_JSON = [
  `'{"id":' || json_quote(id)`,
  `'"eventType":' || json_quote(event_type)`,
  `'"namedType":null'`,
  `'"t":' || event_timestamp`,
  `'"source":{' || concat_ws(',', ${SOURCE_KEYS.map(
    (key) => `CASE WHEN source_${key} IS NOT NULL THEN '"${key}":' || json_quote(source_${key}) END`,
  ).join(', ')}) || '}'`,
  `'"data":' || event_data || '}'`,
].join(` || ',' || `);

/** Rows per chunk of each range. */
const CHUNK = 1000;

/** One index range of a typed read: its SQL and what it knows of its rows' named type. */
interface Range {
  sql: string;
  params: unknown[];
  namedType: string | null;
}

/** The single value of a one-row, one-column statement, off the event loop. */
export type ReadValue = (sql: string, params: readonly unknown[]) => Promise<unknown>;

/**
 * The ranges of a typed read of `types`: each type's own events (along `events_type_ts`), each
 * type's log events that name it, and the log events whose name needs a closer look. Log events
 * of a wanted `log*` type are read by their own range only, so that no event comes twice.
 */
function ranges(types: readonly string[]): Range[] {
  // One JSON text per chunk (group_concat follows the ordered subquery; readTyped checks).
  const select = `SELECT '[' || ifnull(group_concat(r, ','), '') || ']' FROM (SELECT ${ROW_JSON} AS r, event_timestamp, id FROM events`;
  const keyset = `(event_timestamp, id) > (?, ?) AND event_timestamp <= ?`;
  const order = 'ORDER BY event_timestamp, id LIMIT ?)';
  const logTypes = types.filter((type) => type.startsWith('log'));
  const notOwn = logTypes.length > 0 ? ` AND event_type NOT IN (${logTypes.map(() => '?').join(', ')})` : '';
  const out: Range[] = types.map((type) => ({
    sql: `${select} INDEXED BY events_type_ts WHERE event_type = ? AND ${keyset} ${order}`,
    params: [type],
    namedType: null,
  }));
  for (const type of [...types, ODD_LOGGED_TYPE]) {
    out.push({
      sql: `${select} INDEXED BY ${INDEX} WHERE ${LOGGED_TYPE_SQL} = ?${notOwn} AND ${keyset} ${order}`,
      params: [type, ...logTypes],
      namedType: type === ODD_LOGGED_TYPE ? null : type,
    });
  }
  return out;
}

/** A range being read: its rows so far, where the merge is in them, and the next chunk on its way. */
interface Cursor {
  range: Range;
  rows: TypedEventRow[];
  at: number;
  next: Promise<TypedEventRow[]> | null;
}

const lessThan = (a: TypedEventRow, b: TypedEventRow): boolean => a.t < b.t || (a.t === b.t && a.id < b.id);

/** The rows sorted by (event_timestamp, id) if they are not already (SQLite does not promise group_concat's order). */
function inOrder(rows: TypedEventRow[]): TypedEventRow[] {
  for (let i = 1; i < rows.length; i++) {
    if (lessThan(rows[i]!, rows[i - 1]!)) return rows.sort((a, b) => (lessThan(a, b) ? -1 : lessThan(b, a) ? 1 : 0));
  }
  return rows;
}

/**
 * See {@link EventStore.readTyped}: every range read in keyset chunks (the next chunk of a range
 * is asked for as soon as the previous one arrives, so the worker reads while this merges), merged
 * by (event_timestamp, id), yielded in chunks.
 */
export async function* readTyped(
  read: ReadValue,
  types: readonly string[],
  window?: { from: number; to: number },
): AsyncGenerator<TypedEventRow[]> {
  if (types.length === 0) return;
  const to = window ? window.to : Number.MAX_SAFE_INTEGER;
  // Keyset start just before `from`: ids are ASCII, so `(from - 1, U+FFFF)` is below every event at `from`.
  const start = window ? { t: window.from - 1, id: '\uffff' } : { t: Number.MIN_SAFE_INTEGER, id: '' };
  const fetch = async (range: Range, after: { t: number; id: string }): Promise<TypedEventRow[]> => {
    const rows = JSON.parse((await read(range.sql, [...range.params, after.t, after.id, to, CHUNK])) as string);
    if (range.namedType !== null) for (const row of rows as TypedEventRow[]) row.namedType = range.namedType;
    return inOrder(rows as TypedEventRow[]);
  };
  const cursors: Cursor[] = ranges([...new Set(types)]).map((range) => ({ range, rows: [], at: 0, next: null }));
  for (const c of cursors) c.next = fetch(c.range, start);
  const open: Cursor[] = [];
  // A cursor whose rows are used up takes its next chunk (and asks for the one after); false when it is done.
  const refill = async (c: Cursor): Promise<boolean> => {
    if (!c.next) return false;
    c.rows = await c.next;
    c.at = 0;
    c.next = c.rows.length === CHUNK ? fetch(c.range, c.rows[CHUNK - 1]!) : null;
    return c.rows.length > 0;
  };
  for (const c of cursors) if (await refill(c)) open.push(c);
  let out: TypedEventRow[] = [];
  try {
    while (open.length > 0) {
      let min = 0;
      for (let i = 1; i < open.length; i++)
        if (lessThan(open[i]!.rows[open[i]!.at]!, open[min]!.rows[open[min]!.at]!)) min = i;
      const c = open[min]!;
      out.push(c.rows[c.at]!);
      if (++c.at === c.rows.length && !(await refill(c))) open.splice(min, 1);
      if (out.length >= CHUNK) {
        yield out;
        out = [];
      }
    }
    if (out.length > 0) yield out;
  } finally {
    // A consumer that stops early leaves chunks on their way: their failures are nobody's.
    for (const c of cursors) c.next?.catch(() => undefined);
  }
}
