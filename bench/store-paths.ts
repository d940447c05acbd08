/**
 * The store's fast paths (issue 14), each against its baseline in the same process, medians of
 * interleaved rounds (the machine is shared: read the ratios, not the milliseconds):
 *
 * * SQLite, 10 000 vs 1 000 000 events ({@link rareWordsDatabase}): a 100-event page through
 *   `EventService.connection` filtered to 4 rare event types (merged per-value index seeks) and
 *   to a rare word (`text`, FTS5 trigram index), and their totalCount, against the SQL the store
 *   ran before (one `IN`, `instr` over every row), run on the same file; the one-off text index
 *   build of an existing database (a copy of the 1 000 000-event file without it).
 * * FerretDB at 40 000 events: `findByIds` of one id and of a DataLoader-sized batch against the
 *   raw driver's `findOne({_id})` (what MADSci's `find_one` asks) and `find({_id: {$in}})`.
 */
import './support/production-env';
import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MongoClient } from 'mongodb';
import { EventService } from '../src/events/event.service';
import type { EventFilter } from '../src/events/event.types';
import { MongoEventStore } from '../src/store/mongo/mongo-event-store';
import { SqliteEventStore } from '../src/store/sqlite/sqlite-event-store';
import {
  benchConfig,
  checkQuiet,
  printTable,
  printTargets,
  progress,
  round,
  sized,
  summarize,
  type Target,
  target,
  tempDir,
  writeResult,
} from './support/harness';
import { RARE_WORD, rareWordsDatabase } from './support/rare-words-db';
import { mongoServer } from './support/stores';
import { FAILURE_TYPES, seedGenerated } from './support/workload';

const PAGE = 100;

/** Median ms of each function, run in turns (`reps` rounds after `warmups`). */
async function interleaved(fns: readonly (() => unknown)[], reps: number, warmups = 5): Promise<number[]> {
  for (let i = 0; i < warmups; i++) for (const fn of fns) await fn();
  const samples: number[][] = fns.map(() => []);
  for (let i = 0; i < reps; i++) {
    const order = i % 2 === 0 ? fns.map((_, k) => k) : fns.map((_, k) => fns.length - 1 - k);
    for (const k of order) {
      const started = performance.now();
      await fns[k]!();
      samples[k]!.push(performance.now() - started);
    }
  }
  return samples.map((s) => round(summarize(s).median));
}

/** The page SQL the store ran before this change, for a filter, on a read-only connection. */
function baselineSql(db: Database.Database, kind: 'types' | 'text') {
  const types = [...FAILURE_TYPES];
  const where =
    kind === 'types'
      ? { sql: `(archived = 0) AND (event_type IN (${types.map(() => '?').join(', ')}))`, params: types }
      : { sql: '(archived = 0) AND (instr(search_text, ?) > 0)', params: [RARE_WORD] };
  const page = db.prepare(
    `SELECT * FROM events WHERE ${where.sql} ORDER BY event_timestamp DESC, id DESC LIMIT ${PAGE + 1}`,
  );
  const count = db.prepare(`SELECT count(*) AS n FROM events WHERE ${where.sql}`);
  return { page: () => page.all(...where.params), count: () => count.get(...where.params) };
}

interface SqliteFigures {
  events: number;
  typesPageMs: number;
  typesPageBeforeMs: number;
  typesCountMs: number;
  typesCountBeforeMs: number;
  textPageMs: number;
  textPageBeforeMs: number;
  textCountMs: number;
  textCountBeforeMs: number;
  idLookupMs: number;
  idLookupRawMs: number;
}

export async function measureSqlite(file: string, events: number, reps: number): Promise<SqliteFigures> {
  const store = new SqliteEventStore(file);
  await store.init();
  const db = new Database(file, { readonly: true });
  try {
    const service = new EventService(store, benchConfig({ DATA_DIR: path.dirname(file) }).limits);
    const typesFilter: EventFilter = { eventTypes: [...FAILURE_TYPES] };
    const textFilter: EventFilter = { text: RARE_WORD };
    const typesSelector = service.selectorFor(typesFilter);
    const textSelector = service.selectorFor(textFilter);
    const typesBefore = baselineSql(db, 'types');
    const textBefore = baselineSql(db, 'text');
    // Both paths must agree before they are timed.
    const [newTypes, newText] = [
      await service.connection({ filter: typesFilter, first: PAGE }),
      await service.connection({ filter: textFilter, first: PAGE }),
    ];
    const oldTypes = typesBefore.page() as { id: string }[];
    const oldText = textBefore.page() as { id: string }[];
    const same = (a: { edges: { node: { _id: string } }[] }, b: { id: string }[]) =>
      JSON.stringify(a.edges.map((e) => e.node._id)) === JSON.stringify(b.slice(0, PAGE).map((r) => r.id));
    if (!same(newTypes, oldTypes) || !same(newText, oldText)) throw new Error('The new and old pages differ');
    const [id] = await store.findIds(
      {},
      { order: { field: 'event_timestamp', direction: 1 }, limit: 1, skip: events >> 1 },
    );
    const byId = db.prepare('SELECT * FROM events WHERE id = ?');
    const [typesPageMs, typesPageBeforeMs, textPageMs, textPageBeforeMs] = await interleaved(
      [
        () => service.connection({ filter: typesFilter, first: PAGE }),
        () => typesBefore.page(),
        () => service.connection({ filter: textFilter, first: PAGE }),
        () => textBefore.page(),
      ],
      reps,
    );
    const [typesCountMs, typesCountBeforeMs, textCountMs, textCountBeforeMs] = await interleaved(
      [
        () => store.count(typesSelector),
        () => typesBefore.count(),
        () => store.count(textSelector),
        () => textBefore.count(),
      ],
      Math.max(5, Math.round(reps / 10)),
      1,
    );
    const [idLookupMs, idLookupRawMs] = await interleaved([() => store.findByIds([id!]), () => byId.get(id)], reps);
    return {
      events,
      typesPageMs: typesPageMs!,
      typesPageBeforeMs: typesPageBeforeMs!,
      typesCountMs: typesCountMs!,
      typesCountBeforeMs: typesCountBeforeMs!,
      textPageMs: textPageMs!,
      textPageBeforeMs: textPageBeforeMs!,
      textCountMs: textCountMs!,
      textCountBeforeMs: textCountBeforeMs!,
      idLookupMs: idLookupMs!,
      idLookupRawMs: idLookupRawMs!,
    };
  } finally {
    db.close();
    await store.close();
  }
}

/** Seconds to open a copy of `file` stripped of its text index (the one-off build at init). */
async function measureTextIndexBuild(file: string): Promise<{ seconds: number; progress: string[] }> {
  const dir = tempDir('text-index-build');
  try {
    const copy = path.join(dir, 'events.db');
    const source = new Database(file, { readonly: true });
    await source.backup(copy);
    source.close();
    const raw = new Database(copy);
    raw.exec(
      'DROP TRIGGER IF EXISTS events_fts_insert; DROP TRIGGER IF EXISTS events_fts_delete; DROP TRIGGER IF EXISTS events_fts_update; DROP TABLE IF EXISTS events_fts;',
    );
    raw.close();
    const lines: string[] = [];
    const store = new SqliteEventStore(copy, { onProgress: (line) => lines.push(line) });
    const started = performance.now();
    await store.init();
    const seconds = (performance.now() - started) / 1000;
    await store.close();
    return { seconds: round(seconds), progress: lines };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

interface FerretFigures {
  events: number;
  findByIdsOneMs: number;
  rawFindOneMs: number;
  rawInOneMs: number;
  findByIdsBatchMs: number;
  rawInBatchMs: number;
  batch: number;
}

async function measureFerret(events: number, reps: number): Promise<{ label: string; figures: FerretFigures }> {
  const server = await mongoServer();
  const database = `bench_ids_${process.pid}`;
  const store = new MongoEventStore({ uri: server.uri, database, collection: 'events', journaledWrites: false });
  const client = new MongoClient(server.uri);
  try {
    await store.init();
    await client.connect();
    progress(`storing ${events} events on ${server.label}`);
    const ids = await seedGenerated(store, events, 7);
    const events_ = client.db(database).collection<{ _id: string }>('events');
    // Ids spread over the collection; late ones cost a server that scans the most.
    const pick = (k: number, round: number) =>
      Array.from({ length: k }, (_, i) => ids[(ids.length - 1 - ((round * 7919 + i * 3571) % (ids.length >> 1))) | 0]!);
    const batch = 5;
    let r = 0;
    const [findByIdsOneMs, rawFindOneMs, rawInOneMs] = await interleaved(
      [
        () => store.findByIds(pick(1, r++)),
        () => events_.findOne({ _id: pick(1, r++)[0]! }),
        () => events_.find({ _id: { $in: pick(1, r++) } }).toArray(),
      ],
      reps,
      1,
    );
    const [findByIdsBatchMs, rawInBatchMs] = await interleaved(
      [() => store.findByIds(pick(batch, r++)), () => events_.find({ _id: { $in: pick(batch, r++) } }).toArray()],
      Math.max(3, Math.round(reps / 2)),
      1,
    );
    return {
      label: server.label,
      figures: {
        events,
        findByIdsOneMs: findByIdsOneMs!,
        rawFindOneMs: rawFindOneMs!,
        rawInOneMs: rawInOneMs!,
        findByIdsBatchMs: findByIdsBatchMs!,
        rawInBatchMs: rawInBatchMs!,
        batch,
      },
    };
  } finally {
    await client
      .db(database)
      .dropDatabase()
      .catch(() => undefined);
    await client.close();
    await store.close();
    await server.stop();
  }
}

/** Runs the store fast-path benchmark and writes `bench/results/store-paths.json`. */
export async function runStorePaths(): Promise<Target[]> {
  const startedAt = new Date();
  const busyAtStart = await checkQuiet('before the run');
  const small = sized(10_000);
  const large = sized(1_000_000);
  const reps = sized(100, 20);
  const smallDb = await rareWordsDatabase(small);
  const largeDb = await rareWordsDatabase(large);
  progress(`timing the one-off text index build at ${large} events`);
  const build = await measureTextIndexBuild(largeDb.file);
  progress(`measuring SQLite pages at ${small} and ${large} events`);
  const s = await measureSqlite(smallDb.file, small, reps);
  const l = await measureSqlite(largeDb.file, large, reps);
  progress('measuring id lookups on FerretDB');
  const ferret = await measureFerret(sized(40_000), sized(10, 5));
  const f = ferret.figures;

  printTable(
    `SQLite, 100-event page / totalCount (median ms of ${reps}; before = the SQL of the previous store on the same file)`,
    ['case', `@${small}`, `before @${small}`, `@${large}`, `before @${large}`, 'speed-up @large'],
    [
      [
        '4 rare types, page',
        s.typesPageMs,
        s.typesPageBeforeMs,
        l.typesPageMs,
        l.typesPageBeforeMs,
        l.typesPageBeforeMs / l.typesPageMs,
      ],
      [
        '4 rare types, count',
        s.typesCountMs,
        s.typesCountBeforeMs,
        l.typesCountMs,
        l.typesCountBeforeMs,
        l.typesCountBeforeMs / l.typesCountMs,
      ],
      [
        `text "${RARE_WORD}", page`,
        s.textPageMs,
        s.textPageBeforeMs,
        l.textPageMs,
        l.textPageBeforeMs,
        l.textPageBeforeMs / l.textPageMs,
      ],
      [
        `text "${RARE_WORD}", count`,
        s.textCountMs,
        s.textCountBeforeMs,
        l.textCountMs,
        l.textCountBeforeMs,
        l.textCountBeforeMs / l.textCountMs,
      ],
      [
        'one id (raw SQL = before)',
        s.idLookupMs,
        s.idLookupRawMs,
        l.idLookupMs,
        l.idLookupRawMs,
        l.idLookupRawMs / l.idLookupMs,
      ],
    ],
  );
  console.log(`\nText index build for ${large} existing events at init: ${build.seconds} s`);
  printTable(
    `${ferret.label}, ${f.events} events: id lookups (median ms)`,
    [
      'findByIds([id])',
      'raw findOne({_id})',
      'raw find({_id:{$in:[id]}}) (before)',
      `findByIds(${f.batch} ids)`,
      `raw $in of ${f.batch} (before)`,
    ],
    [[f.findByIdsOneMs, f.rawFindOneMs, f.rawInOneMs, f.findByIdsBatchMs, f.rawInBatchMs]],
  );

  const targets = [
    target('storePaths.typesPageAtLarge', `4-rare-types page at ${large} events, median ms`, l.typesPageMs, '<', 2),
    target('storePaths.textPageAtLarge', `rare-word page at ${large} events, median ms`, l.textPageMs, '<', 20),
    target(
      'storePaths.textPageScaling',
      `rare-word page at ${large} over ${small}`,
      l.textPageMs / s.textPageMs,
      '<',
      2,
    ),
    target(
      'storePaths.ferretIdVsFindOne',
      'FerretDB findByIds([id]) over raw findOne({_id})',
      f.findByIdsOneMs / f.rawFindOneMs,
      '<',
      1.2,
    ),
  ];
  printTargets(targets);
  writeResult('store-paths', startedAt, {
    otherProcessesBusyCores: { atStart: busyAtStart, atEnd: await checkQuiet('at the end of the run') },
    parameters: {
      pageSize: PAGE,
      repetitions: reps,
      sizes: { small, large },
      rareWord: RARE_WORD,
      ferret: ferret.label,
    },
    figures: { sqlite: { small: s, large: l }, textIndexBuild: build, ferret: f },
    ratios: {
      typesPageSpeedupAtLarge: round(l.typesPageBeforeMs / l.typesPageMs),
      textPageSpeedupAtLarge: round(l.textPageBeforeMs / l.textPageMs),
      textCountSpeedupAtLarge: round(l.textCountBeforeMs / l.textCountMs),
      textPageLargeOverSmall: round(l.textPageMs / s.textPageMs),
      ferretFindByIdOverFindOne: round(f.findByIdsOneMs / f.rawFindOneMs),
      ferretInOverFindOne: round(f.rawInOneMs / f.rawFindOneMs),
      ferretBatchOverIn: round(f.findByIdsBatchMs / f.rawInBatchMs),
    },
    targets,
    notes: [
      'Page times are EventService.connection (101 rows read, documents built); "before" is the bare SQL of the previous store (no document building), so the speed-ups are understated.',
      'Interleaved rounds on a shared 2-core machine: compare ratios within a run.',
    ],
  });
  return targets;
}
