/**
 * Page reads at scale on the SQLite store: a 100-event page through `EventService.connection`
 * (what the `events` query runs, without GraphQL) over 1 000 000 stored events against the same
 * page over 10 000, for a few realistic filters and for a cursor page deep into the walk.
 *
 * Targets, per case: median under 5 ms at 1M, and under 2x the median at 10 000.
 *
 * The databases are built through `store.insertMany` in batches of 10 000 and cached in the temp
 * directory, keyed by the workload version and a hash of the SQLite store's sources, so a
 * changed store (schema, indexes) rebuilds them. Reads are always measured.
 */
import './support/production-env';
import 'reflect-metadata';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { encodeCursor } from '../src/events/cursor';
import { EventLogLevel } from '../src/events/event.enums';
import type { EventFilter } from '../src/events/event.types';
import { EventService, type ConnectionSlice } from '../src/events/event.service';
import type { ReadOrder } from '../src/store/event-store';
import { SqliteEventStore } from '../src/store/sqlite/sqlite-event-store';
import {
  benchConfig,
  checkQuiet,
  printTable,
  printTargets,
  progress,
  QUICK,
  round,
  SCRATCH_DIR,
  sized,
  summarize,
  type Target,
  target,
  writeResult,
} from './support/harness';
import { EventGenerator, FAILURE_TYPES, NODE_IDS, toDocument, WORKLOAD_VERSION, YEAR_START } from './support/workload';

const PAGE = 100;
const INSERT_BATCH = 10_000;
const TARGET_MEDIAN_MS = 5;
const TARGET_SCALING = 2;
/** Events of the first 30 days are archived (about 8%), so the default ACTIVE filter has work to do. */
const ARCHIVE_BEFORE = YEAR_START + 30 * 24 * 3600 * 1000;

interface PageCase {
  name: string;
  filter: EventFilter;
  /** Start the page from a cursor in the middle of the filter's walk (newest first). */
  deep: boolean;
}

const NODE = NODE_IDS[3]!;

const CASES: readonly PageCase[] = [
  { name: 'first page, no filter', filter: {}, deep: false },
  { name: 'first page, minLevel WARNING', filter: { minLevel: EventLogLevel.WARNING }, deep: false },
  { name: 'first page, one nodeId of 20', filter: { source: { nodeId: [NODE] } }, deep: false },
  { name: 'first page, eventTypes = 4 failure types', filter: { eventTypes: [...FAILURE_TYPES] }, deep: false },
  { name: 'deep cursor (mid-walk), no filter', filter: {}, deep: true },
  { name: 'deep cursor (mid-walk), one nodeId', filter: { source: { nodeId: [NODE] } }, deep: true },
];

/** Hash of the sources that decide the database's layout and the SQL a read runs. */
function storeSourceHash(): string {
  const hash = crypto.createHash('sha256');
  for (const file of [
    'src/store/sqlite/sqlite-event-store.ts',
    'src/store/sqlite/selector-to-sql.ts',
    'src/store/event-document.ts',
    'src/store/event-values.ts',
    'src/events/event.document.ts',
  ]) {
    hash.update(fs.readFileSync(path.resolve(__dirname, '..', file)));
  }
  return hash.digest('hex').slice(0, 12);
}

/** Fills a new database with `count` generated events through insertMany. */
async function buildDatabase(file: string, count: number): Promise<number> {
  const started = performance.now();
  const store = new SqliteEventStore(file);
  await store.init();
  try {
    const generator = new EventGenerator(count, 7);
    for (let from = 0; from < count; from += INSERT_BATCH) {
      const docs = generator.inputs(from, Math.min(count, from + INSERT_BATCH)).map((input) => {
        const at = input.eventTimestamp.getTime();
        const doc = toDocument(input, new Date(at + 150));
        if (at < ARCHIVE_BEFORE) {
          doc.archived = true;
          doc.archived_at = new Date(ARCHIVE_BEFORE + 24 * 3600 * 1000);
        }
        return doc;
      });
      const result = await store.insertMany(docs);
      if (result.insertedIds.length !== docs.length)
        throw new Error(`insertMany stored ${result.insertedIds.length} of ${docs.length}`);
      if (count >= 100_000 && (from / INSERT_BATCH) % 20 === 19) progress(`  ${from + INSERT_BATCH} / ${count}`);
    }
  } finally {
    await store.close();
  }
  return (performance.now() - started) / 1000;
}

/**
 * A database of `count` events, from the cache when one of the same key exists and holds them
 * all, else built (into a partial directory renamed when complete). Stale entries of the same
 * size are removed.
 */
async function cachedDatabase(count: number): Promise<{ file: string; builtInSeconds: number | null }> {
  const cacheRoot = path.join(SCRATCH_DIR, 'page-cache');
  const key = `n${count}-w${WORKLOAD_VERSION}-s${storeSourceHash()}`;
  const dir = path.join(cacheRoot, key);
  const file = path.join(dir, 'events.db');
  fs.mkdirSync(cacheRoot, { recursive: true });
  for (const entry of fs.readdirSync(cacheRoot)) {
    if (entry !== key && entry.startsWith(`n${count}-`))
      fs.rmSync(path.join(cacheRoot, entry), { recursive: true, force: true });
  }
  if (fs.existsSync(file)) {
    const store = new SqliteEventStore(file);
    await store.init();
    const stored = await store.count({});
    await store.close();
    if (stored === count) return { file, builtInSeconds: null };
    progress(`cached database ${key} holds ${stored} events, not ${count}: rebuilding`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  progress(`building a database of ${count} events (${key})`);
  const partial = `${dir}.partial-${process.pid}`;
  fs.rmSync(partial, { recursive: true, force: true });
  const seconds = await buildDatabase(path.join(partial, 'events.db'), count);
  fs.renameSync(partial, dir);
  progress(`built in ${seconds.toFixed(1)} s`);
  return { file, builtInSeconds: round(seconds) };
}

interface CaseFigures {
  /** Events the filter matches. */
  matching: number;
  /** Events on the measured page. */
  returned: number;
  /**
   * Active events whose timestamps lie in the span the page covers (from its cursor, or the
   * newest, to its last event): the rows an (archived, event_timestamp) index walk visits.
   */
  spanRows: number;
  medianMs: number;
  p95Ms: number;
  minMs: number;
}

/** One database opened for reading through the service. */
interface Side {
  store: SqliteEventStore;
  service: EventService;
}

async function openSide(file: string): Promise<Side> {
  const store = new SqliteEventStore(file);
  await store.init();
  return { store, service: new EventService(store, benchConfig({ DATA_DIR: path.dirname(file) }).limits) };
}

/** A case made ready on one side: the read to time, and what is known about it. */
interface PreparedCase {
  read: () => Promise<ConnectionSlice>;
  matching: number;
  plan: string[];
  spanRows: number;
  returned: number;
}

async function prepareCase(side: Side, c: PageCase, warmups: number): Promise<PreparedCase> {
  const { store, service } = side;
  const selector = service.selectorFor(c.filter);
  const matching = await store.count(selector);
  const order: ReadOrder = { field: 'event_timestamp', direction: -1 };
  let after: string | undefined;
  let plan: string[];
  if (c.deep) {
    const [mid] = await store.find(selector, { order, limit: 1, skip: Math.floor(matching / 2) });
    if (!mid) throw new Error(`${c.name}: nothing at the middle of ${matching} events`);
    after = encodeCursor({ value: mid.event_timestamp, id: mid._id });
    plan = store.explainFind(selector, { ...order, after: { value: mid.event_timestamp, id: mid._id } });
  } else {
    plan = store.explainFind(selector, order);
  }
  const read = () => service.connection({ filter: c.filter, first: PAGE, ...(after ? { after } : {}) });
  let page = await read();
  for (let i = 0; i < warmups; i++) page = await read();
  const last = page.edges.at(-1)?.node;
  if (!last) throw new Error(`${c.name}: the page is empty`);
  const spanRows = await store.count({
    $and: [
      { archived: { $ne: true } },
      { event_timestamp: { $gte: last.event_timestamp } },
      ...(after ? [{ event_timestamp: { $lte: page.edges[0]!.node.event_timestamp } }] : []),
    ],
  });
  return { read, matching, plan, spanRows, returned: page.edges.length };
}

/**
 * Measures every case on both databases, alternating one read on each (in turn first), so
 * whatever else the machine does weighs on both sizes alike.
 */
async function measure(smallFile: string, largeFile: string, reps: number) {
  const small = await openSide(smallFile);
  const large = await openSide(largeFile);
  try {
    const out: { small: CaseFigures; large: CaseFigures; plan: string[] }[] = [];
    for (const c of CASES) {
      const warmups = Math.max(10, reps / 10);
      const sides = [await prepareCase(small, c, warmups), await prepareCase(large, c, warmups)] as const;
      const samples: [number[], number[]] = [[], []];
      for (let i = 0; i < reps; i++) {
        for (const k of i % 2 === 0 ? [0, 1] : [1, 0]) {
          const started = performance.now();
          await sides[k]!.read();
          samples[k]!.push(performance.now() - started);
        }
      }
      const figures = sides.map((side, k): CaseFigures => {
        const stats = summarize(samples[k]!);
        return {
          matching: side.matching,
          returned: side.returned,
          spanRows: side.spanRows,
          medianMs: round(stats.median),
          p95Ms: round(stats.p95),
          minMs: round(stats.min),
        };
      });
      out.push({ small: figures[0]!, large: figures[1]!, plan: sides[1].plan });
    }
    return out;
  } finally {
    await small.store.close();
    await large.store.close();
  }
}

/**
 * Where a plain page's time goes, on one database: the same read as the unfiltered first page
 * written as SQL (what the store runs today for `{ archived: { $ne: true } }`), fetched as ids
 * only, as full rows in better-sqlite3's object mode (the store's), and as raw arrays.
 */
function rowCost(file: string, reps: number): Record<string, number> {
  const db = new Database(file, { readonly: true });
  try {
    const sql = (columns: string) =>
      `SELECT ${columns} FROM events WHERE archived = 0 ORDER BY event_timestamp DESC, id DESC LIMIT ${PAGE + 1}`;
    const time = (statement: Database.Statement) => {
      for (let i = 0; i < 10; i++) statement.all();
      const samples: number[] = [];
      for (let i = 0; i < reps; i++) {
        const started = performance.now();
        statement.all();
        samples.push(performance.now() - started);
      }
      return round(summarize(samples).median);
    };
    return {
      idsOnlyMs: time(db.prepare(sql('id'))),
      allColumnsAsObjectsMs: time(db.prepare(sql('*'))),
      allColumnsAsArraysMs: time(db.prepare(sql('*')).raw(true)),
    };
  } finally {
    db.close();
  }
}

/** Runs the page benchmark and writes `bench/results/page.json`. */
export async function runPage(): Promise<Target[]> {
  const startedAt = new Date();
  const busyAtStart = await checkQuiet('before the run');
  const large = sized(1_000_000);
  const small = sized(10_000);
  const reps = sized(200, 50);
  const smallDb = await cachedDatabase(small);
  const largeDb = await cachedDatabase(large);
  progress(`measuring ${CASES.length} cases x ${reps} pages at ${small} and ${large} events`);
  const measured = await measure(smallDb.file, largeDb.file, reps);

  const rows = CASES.map((c, i) => {
    const { small: s, large: l, plan } = measured[i]!;
    return { case: c.name, filter: c.filter, deep: c.deep, small: s, large: l, scaling: l.medianMs / s.medianMs, plan };
  });
  printTable(
    `Page of ${PAGE} through EventService.connection on SQLite: ms per page (median / p95 of ${reps}), ${small} vs ${large} stored events`,
    ['case', `matching @${small}`, 'median', 'p95', `matching @${large}`, 'median', 'p95', 'span rows', 'ratio'],
    rows.map((r) => [
      r.case,
      r.small.matching,
      r.small.medianMs,
      r.small.p95Ms,
      r.large.matching,
      r.large.medianMs,
      r.large.p95Ms,
      r.large.spanRows,
      round(r.scaling),
    ]),
  );
  console.log(`\nQuery plans at ${large} events (EXPLAIN QUERY PLAN of the page read):`);
  for (const r of rows) console.log(`  ${r.case}: ${r.plan.join(' | ')}`);
  progress('timing the row fetch of the unfiltered page alone');
  const cost = rowCost(largeDb.file, reps);
  printTable(
    `The unfiltered page's SQL alone at ${large} events, ${PAGE + 1} rows (median ms; better-sqlite3, read-only connection)`,
    ['ids only', 'all columns as objects (as the store reads)', 'all columns as raw arrays', 'EventService.connection'],
    [[cost.idsOnlyMs!, cost.allColumnsAsObjectsMs!, cost.allColumnsAsArraysMs!, rows[0]!.large.medianMs]],
  );

  const targets: Target[] = [];
  for (const r of rows) {
    targets.push(
      target(
        `page.${r.case}.medianAtLarge`,
        `median ms per page at ${large} events under ${TARGET_MEDIAN_MS}`,
        r.large.medianMs,
        '<',
        TARGET_MEDIAN_MS,
      ),
    );
    targets.push(
      target(
        `page.${r.case}.scaling`,
        `median at ${large} under ${TARGET_SCALING}x the median at ${small}`,
        r.scaling,
        '<',
        TARGET_SCALING,
      ),
    );
  }
  printTargets(targets);
  writeResult('page', startedAt, {
    otherProcessesBusyCores: { atStart: busyAtStart, atEnd: await checkQuiet('at the end of the run') },
    parameters: {
      store: 'sqlite',
      pageSize: PAGE,
      repetitions: reps,
      sizes: { small, large },
      readPath:
        'EventService.connection (cursor connection, newest first; deep pages also run the hasPreviousPage probe)',
      workload: `v${WORKLOAD_VERSION}: 20 nodes, 4 workcells, weighted MADSci types and levels, timestamps spread over 2025, events of the first 30 days archived`,
      databaseBuiltInSeconds: { small: smallDb.builtInSeconds, large: largeDb.builtInSeconds },
    },
    figures: rows.map(({ plan: _plan, ...r }) => ({ ...r, scaling: round(r.scaling) })),
    ratios: Object.fromEntries(rows.map((r) => [r.case, round(r.scaling)])),
    targets,
    diagnostics: {
      queryPlansAtLarge: Object.fromEntries(rows.map((r) => [r.case, r.plan])),
      unfilteredPageSqlAtLarge: cost,
    },
    notes: [
      'spanRows: active events in the timestamp span a page covers, i.e. the index entries (and table rows) an (archived, event_timestamp) walk visits to fill it.',
      'databaseBuiltInSeconds is null when the database came from the cache.',
      `Sizes in a quick run are a tenth (${QUICK ? 'this is one' : 'not this one'}).`,
    ],
  });
  return targets;
}
