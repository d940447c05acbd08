import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toAnalyticsEvent, type AnalyticsEvent } from '../src/analytics/analytics-event';
import { AnalyticsReader } from '../src/analytics/analytics-reader';
import type { EventDocument } from '../src/store/event-document';
import { SqliteEventStore } from '../src/store/sqlite/sqlite-event-store';
import { BASE_TIME, makeDoc, NODES, WORKCELL } from './support/fixtures';

/*
 * The reports' typed read on SQLite (docs/performance.md#utilization-reports): events by
 * effective type (docs/madsci-compatibility.md#d1-effective-event-type) along the index of the log
 * events' named types, merged in chunks. The oracle is the effective type of every stored
 * document, worked out here one by one with `toAnalyticsEvent`.
 */

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function tempFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-events-typed-'));
  dirs.push(dir);
  return path.join(dir, 'events.db');
}

const at = (seconds: number) => new Date(BASE_TIME + seconds * 1000);

/** Names a structured logger may send as `event_data.event_type`, odd ones included. */
const NAMED: unknown[] = [
  'workcell_start',
  'WORKCELL_STOP',
  'EventType.NODE_START',
  'eventtype.node_stop',
  '  experiment_start  ',
  '\texperiment_complete\n',
  '\u00a0action_status_change',
  // The Kelvin sign lower-cases to "k" in JavaScript, not in SQLite.
  'wor\u212Acell_start',
  'eventtype.eventtype.node_start',
  'EventType.',
  'not_a_type',
  'log_warning',
  '',
  42,
  null,
  { nested: 'workcell_start' },
];

/** Every kind of event the reports meet: own types, logged types (plain and odd), other payloads, ties. */
function corpus(): EventDocument[] {
  const docs: EventDocument[] = [];
  let second = 0;
  for (let round = 0; round < 3; round++) {
    for (const name of NAMED) {
      for (const logType of ['log_info', 'log_debug', 'log_error']) {
        docs.push(
          makeDoc({
            event_type: logType,
            event_timestamp: at(second++),
            source: round === 1 ? { node_id: NODES[0]! } : {},
            event_data: { event_type: name, workcell_id: WORKCELL },
          }),
        );
      }
    }
    for (const type of ['workcell_start', 'node_start', 'node_status_update', 'action_status_change', 'log_info']) {
      docs.push(
        makeDoc({
          event_type: type,
          event_timestamp: at(second++),
          source: { workcell_id: WORKCELL, node_id: NODES[1]! },
        }),
      );
    }
    docs.push(makeDoc({ event_type: 'log_info', event_timestamp: at(second++), event_data: 'a string payload' }));
    docs.push(makeDoc({ event_type: 'log_info', event_timestamp: at(second++), event_data: ['workcell_start'] }));
    docs.push(makeDoc({ event_type: 'node_stop', event_timestamp: at(second++), archived: true, archived_at: at(0) }));
  }
  // More than a chunk (1 000) of one type, many at the same instant, so that keyset steps fall inside ties.
  for (let i = 0; i < 2600; i++) {
    const logged = i % 3 === 0;
    docs.push(
      makeDoc({
        event_type: logged ? 'log_info' : 'node_status_update',
        event_timestamp: at(second + Math.floor(i / 7)),
        source: { node_id: NODES[i % 3]! },
        event_data: logged ? { event_type: 'node_status_update', n: i } : { n: i },
      }),
    );
  }
  return docs;
}

const key = (e: AnalyticsEvent) => ({ id: e.id, t: e.t, type: e.type, source: e.source, data: e.data });

/** The oracle: each stored document's effective type, in (time, id) order. */
function expected(docs: readonly EventDocument[], types: readonly string[], window?: { from: number; to: number }) {
  return docs
    .map(toAnalyticsEvent)
    .filter((e) => types.includes(e.type) && (!window || (e.t >= window.from && e.t <= window.to)))
    .sort((a, b) => a.t - b.t || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map(key);
}

async function read(reader: AnalyticsReader, types: readonly string[], window?: { from: number; to: number }) {
  const out = [];
  for await (const e of reader.events(types, window)) out.push(key(e));
  return out;
}

describe('SQLite typed read', () => {
  const docs = corpus();
  let store: SqliteEventStore;
  let reader: AnalyticsReader;

  beforeAll(async () => {
    store = new SqliteEventStore(tempFile());
    await store.init();
    await store.insertMany(docs);
    reader = new AnalyticsReader(store);
  });
  afterAll(() => store.close());

  it('finds every event whose effective type is wanted, odd names included, in (time, id) order', async () => {
    const types = ['workcell_start', 'workcell_stop', 'node_start', 'node_stop', 'experiment_start'];
    const want = expected(docs, types);
    expect(want.length).toBeGreaterThan(40);
    // The odd names the index cannot normalise are still found.
    const kelvin = docs.find((d) => (d.event_data as { event_type?: unknown }).event_type === 'wor\u212Acell_start')!;
    expect(want.some((e) => e.id === kelvin._id && e.type === 'workcell_start')).toBe(true);
    expect(await read(reader, types)).toEqual(want);
  });

  it('reads across chunks and ties, inside a window (both ends included)', async () => {
    const types = ['node_status_update', 'action_status_change', 'experiment_complete'];
    const window = { from: at(60).getTime(), to: at(500).getTime() };
    const want = expected(docs, types, window);
    expect(want.length).toBeGreaterThan(1500);
    expect(await read(reader, types, window)).toEqual(want);
    expect(await read(reader, types)).toEqual(expected(docs, types));
  });

  it('gives a wanted log type once, with the events that name it', async () => {
    const types = ['log_info', 'log_warning', 'workcell_start'];
    const got = await read(reader, types);
    expect(new Set(got.map((e) => e.id)).size).toBe(got.length);
    expect(got).toEqual(expected(docs, types));
  });

  it('reads the same as the store-neutral stream', async () => {
    // The same reader without the typed read: what a store without it (MongoDB) runs.
    const plain = new AnalyticsReader(
      Object.assign(Object.create(store) as SqliteEventStore, { readTyped: undefined }),
    );
    const types = ['workcell_start', 'node_start', 'node_status_update', 'action_status_change'];
    const window = { from: at(10).getTime(), to: at(300).getTime() };
    expect(await read(reader, types, window)).toEqual(await read(plain, types, window));
  });
});

describe('SQLite logged-type index', () => {
  it('is built at start for a database that has none, with progress reported, and kept by writes', async () => {
    const file = tempFile();
    const first = new SqliteEventStore(file);
    await first.init();
    const old = makeDoc({
      event_type: 'log_info',
      event_timestamp: at(1),
      event_data: { event_type: 'WORKCELL_START' },
    });
    await first.insertMany([old]);
    await first.close();
    const raw = new Database(file);
    raw.exec('DROP INDEX events_logged_type_ts');
    raw.close();

    const lines: string[] = [];
    const store = new SqliteEventStore(file, { onProgress: (line) => lines.push(line) });
    await store.init();
    try {
      expect(lines.join('\n')).toMatch(/Indexing the named types of the log events among 1 stored events/);
      const fresh = makeDoc({
        event_type: 'log_debug',
        event_timestamp: at(2),
        event_data: { event_type: 'workcell_start' },
      });
      await store.insertMany([fresh]);
      const ids = (await read(new AnalyticsReader(store), ['workcell_start'])).map((e) => e.id);
      expect(ids).toEqual([old._id, fresh._id]);
      const check = new Database(file, { readonly: true });
      const index = check
        .prepare(`SELECT name FROM pragma_index_list('events') WHERE name = ?`)
        .all('events_logged_type_ts');
      check.close();
      expect(index).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});
