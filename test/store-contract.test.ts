import { Query } from 'mingo';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { filterToSelector } from '../src/events/event-filter';
import { sanitizeSelector } from '../src/events/selector';
import type { EventDocument } from '../src/store/event-document';
import type { EventStore, ReadOrder, Selector } from '../src/store/event-store';
import { BASE_TIME, makeDoc, NODES, seededRandom, variedDocs, WORKCELL } from './support/fixtures';
import { MongoEventStore } from '../src/store/mongo/mongo-event-store';
import { openStore, storeEnv, STORE_KINDS, testConfig } from './support/stores';

/** The reference: what MongoDB's query language says, evaluated by mingo over the same documents. */
function expected(
  docs: readonly EventDocument[],
  selector: Selector,
  order: ReadOrder = { field: 'event_timestamp', direction: -1 },
): string[] {
  const query = new Query(selector);
  return docs
    .filter((doc) => query.test(doc as unknown as Record<string, unknown>))
    .sort((a, b) => {
      // The orders used here are by dates every document has (archived_at is null on active events).
      const d =
        (a[order.field] as Date).getTime() - (b[order.field] as Date).getTime() ||
        (a._id < b._id ? -1 : a._id > b._id ? 1 : 0);
      return d * order.direction;
    })
    .map((doc) => doc._id);
}

/** Whether the server behind a URI is FerretDB (its buildInfo says so). */
async function isFerretDb(uri: string): Promise<boolean> {
  const client = new MongoClient(uri);
  try {
    const info = await client.db('admin').command({ buildInfo: 1 });
    return 'ferretdbVersion' in info;
  } finally {
    await client.close();
  }
}

const at = (minutes: number) => new Date(BASE_TIME + minutes * 60_000);

/** Raw selectors as a client sends them (JSON), covering pushed-down and mingo-evaluated parts. */
const SELECTORS: Record<string, unknown> = {
  everything: {},
  'level range': { log_level: { $gte: 30 } },
  'level list': { log_level: { $in: [10, 40] } },
  'type equality': { event_type: 'node_start' },
  'type exclusion': { event_type: { $nin: ['log_info', 'node_start'] } },
  'source member': { 'source.node_id': NODES[0] },
  'missing source member': { 'source.node_id': null },
  'source member not equal': { 'source.node_id': { $ne: NODES[0] } },
  'source member exists': { 'source.workcell_id': { $exists: true } },
  'source members in list with null': { 'source.node_id': { $in: [NODES[1], null] } },
  'source members not in list': { 'source.node_id': { $nin: [NODES[1]] } },
  'null trace': { trace_id: null },
  'present trace': { trace_id: { $ne: null } },
  'trace not equal': { trace_id: { $ne: 'trace1' } },
  active: { archived: { $ne: true } },
  archived: { archived: true },
  'archived before (ISO text)': { archived_at: { $lt: new Date(BASE_TIME + 100_000).toISOString() } },
  'archived after (EJSON)': { archived_at: { $gte: { $date: new Date(BASE_TIME + 100_000).toISOString() } } },
  'time window (naive ISO)': { event_timestamp: { $gte: '2025-01-06T08:05:00', $lt: '2025-01-06T08:20:00' } },
  'time equality': { event_timestamp: at(3).toISOString() },
  or: { $or: [{ log_level: 50 }, { alert: true }] },
  'and with nested or over data': {
    $and: [{ log_level: { $gte: 20 } }, { $or: [{ event_type: 'node_error' }, { 'event_data.n': { $gt: 5 } }] }],
  },
  'data number': { 'event_data.n': { $gt: 5 } },
  'data array contains': { 'event_data.tags': 'b' },
  'data array size': { 'event_data.tags': { $size: 2 } },
  'data array all': { 'event_data.tags': { $all: ['a', 'b'] } },
  'data elemMatch': { 'event_data.items': { $elemMatch: { k: 1 } } },
  'string payload': { event_data: 'plain string number 3' },
  'regex with options': { 'event_data.message': { $regex: '^start', $options: 'i' } },
  'literal search text': { search_text: { $regex: 'robot arm' } },
  not: { log_level: { $not: { $gte: 30 } } },
  nor: { $nor: [{ log_level: 10 }, { archived: true }] },
  'type mismatch number vs text': { log_level: { $gte: '30' } },
  'type mismatch boolean vs number': { alert: 1 },
  ids: { _id: { $in: ['nope'] } },
  'workcell and level': { 'source.workcell_id': WORKCELL, log_level: { $lte: 20 } },
  // Members holding their default, which the MongoDB store leaves out (src/store/mongo/stored-shape.ts).
  'active by equality': { archived: false },
  'no alert': { alert: false },
  'alert not false': { alert: { $ne: false } },
  'alert in a list with false': { alert: { $in: [false] } },
  'alert not in a list': { alert: { $nin: [true] } },
  'archived not in a list with false': { archived: { $nin: [false] } },
  'alert null': { alert: null },
  'alert at most false': { alert: { $lte: false } },
  'trace exists': { trace_id: { $exists: true } },
  'span missing': { span_id: { $exists: false } },
  'span null': { span_id: null },
  'archived_at exists': { archived_at: { $exists: true } },
  'archived_at not existing, by $not': { archived_at: { $not: { $exists: true } } },
  'defaults inside or and nor': {
    $or: [{ alert: false, log_level: 50 }, { archived: false, trace_id: 'trace1' }, { $nor: [{ alert: false }] }],
  },
};

/** Selectors FerretDB v1 answers differently from MongoDB (it lacks $elemMatch over documents). */
const FERRETDB_GAPS = new Set(['data elemMatch']);

describe.each(STORE_KINDS)('EventStore contract on %s', (kind) => {
  let store: EventStore;
  let dispose: () => Promise<void>;
  const docs = variedDocs(300);

  let ferret = false;

  beforeAll(async () => {
    ({ store, dispose } = await openStore(kind));
    ferret = kind === 'mongodb' && (await isFerretDb(inject('mongoUri')));
    const result = await store.insertMany(docs);
    expect(result.insertedIds).toHaveLength(docs.length);
  });
  afterAll(async () => dispose());

  it('returns stored documents exactly as inserted', async () => {
    const sample = docs.slice(0, 40);
    const found = await store.findByIds(sample.map((d) => d._id));
    const byId = new Map(found.map((d) => [d._id, d]));
    for (const doc of sample) expect(byId.get(doc._id)).toEqual(doc);
  });

  it('leaves missing ids out of findByIds', async () => {
    const found = await store.findByIds([docs[0]!._id, 'missing-id']);
    expect(found.map((d) => d._id)).toEqual([docs[0]!._id]);
  });

  it('skips duplicate ids, against the store and inside a batch', async () => {
    const fresh = makeDoc();
    const result = await store.insertMany([docs[0]!, fresh, { ...fresh, event_type: 'test' }]);
    expect(result.insertedIds).toEqual([fresh._id]);
    expect(result.duplicateIds).toEqual([docs[0]!._id, fresh._id]);
    const [stored] = await store.findByIds([fresh._id]);
    expect(stored!.event_type).toBe('log_info');
    await store.insertMany([]);
  });

  it('stores each id of concurrent insert calls once (SQLite: the results they would get one after another)', async () => {
    const a = makeDoc({ event_data: { message: 'batched zqxwv one' } });
    const b = makeDoc({ event_data: { message: 'batched zqxwv two' } });
    const c = makeDoc();
    const results = await Promise.all([
      store.insertMany([a, docs[1]!]),
      store.insertMany([{ ...a, event_type: 'second' }, b]),
      store.insertMany([]),
      store.insertMany([c, b, c]),
    ]);
    const [stored] = await store.findByIds([a._id]);
    if (kind === 'sqlite') {
      // Calls made in one turn of the event loop share one transaction (src/store/insert-batcher.ts).
      expect(results).toEqual([
        { insertedIds: [a._id], duplicateIds: [docs[1]!._id] },
        { insertedIds: [b._id], duplicateIds: [a._id] },
        { insertedIds: [], duplicateIds: [] },
        { insertedIds: [c._id], duplicateIds: [b._id, c._id] },
      ]);
      expect(stored!.event_type).toBe('log_info');
    } else {
      // One write per call: which call stores a shared id is the server's order of arrival.
      expect(results.flatMap((r) => r.insertedIds).sort()).toEqual([a._id, b._id, c._id].sort());
      expect(results.map((r) => r.insertedIds.length + r.duplicateIds.length)).toEqual([2, 2, 0, 3]);
      // The first call's version, or the second's (`second` is no MADSci type: it reads back as `unknown`).
      expect(['log_info', 'unknown']).toContain(stored!.event_type);
    }
    // Written just now, and found by the text filter at once (the text index is kept in the same transaction).
    const found = await store.find(filterToSelector({ text: 'zqxwv' }, 20), {
      order: { field: 'event_timestamp', direction: -1 },
      limit: 10,
    });
    expect(found.map((doc) => doc._id).sort()).toEqual([a._id, b._id].sort());
  });

  it('fails only the concurrent insert call whose document the store refuses', async (ctx) => {
    if (kind !== 'sqlite') ctx.skip('Only the SQLite store refuses a document (a timestamp that is no Date)');
    const good = makeDoc();
    const bad = { ...makeDoc(), event_timestamp: 'not a date' } as unknown as EventDocument;
    const [first, second] = await Promise.allSettled([store.insertMany([good]), store.insertMany([bad])]);
    expect(first).toEqual({ status: 'fulfilled', value: { insertedIds: [good._id], duplicateIds: [] } });
    expect(second.status).toBe('rejected');
    expect(await store.findByIds([good._id, bad._id])).toHaveLength(1);
  });

  for (const [name, raw] of Object.entries(SELECTORS)) {
    it(`answers the selector "${name}" as MongoDB's query language does`, async (ctx) => {
      if (ferret && FERRETDB_GAPS.has(name))
        ctx.skip(`FerretDB v1 cannot answer "${name}"; real MongoDB and SQLite can`);
      const selector = sanitizeSelector(raw, 20);
      const all = await store.find(
        { $and: [selector, { _id: { $in: docs.map((d) => d._id) } }] },
        {
          order: { field: 'event_timestamp', direction: -1 },
          limit: 1000,
        },
      );
      const want = expected(docs, selector);
      expect(all.map((d) => d._id)).toEqual(want);
      expect(await store.count({ $and: [selector, { _id: { $in: docs.map((d) => d._id) } }] })).toBe(want.length);
      expect(await store.exists({ $and: [selector, { _id: { $in: docs.map((d) => d._id) } }] })).toBe(want.length > 0);
    });
  }

  for (const order of [
    { field: 'event_timestamp', direction: -1 },
    { field: 'event_timestamp', direction: 1 },
    { field: 'received_at', direction: 1 },
  ] as const) {
    it(`walks ${order.field} ${order.direction === 1 ? 'ascending' : 'descending'} by keyset, ties broken by id`, async () => {
      const selector: Selector = { $and: [{ log_level: { $gte: 10 } }, { _id: { $in: docs.map((d) => d._id) } }] };
      const want = expected(docs, selector, order);
      const seen: string[] = [];
      let after: ReadOrder['after'];
      for (;;) {
        const page = await store.find(selector, { order: { ...order, ...(after ? { after } : {}) }, limit: 17 });
        seen.push(...page.map((d) => d._id));
        if (page.length < 17) break;
        const last = page.at(-1)!;
        after = { value: last[order.field], id: last._id };
      }
      expect(seen).toEqual(want);
    });
  }

  it('skips and limits in order', async () => {
    const selector = { _id: { $in: docs.map((d) => d._id) } };
    const want = expected(docs, selector);
    const page = await store.find(selector, {
      order: { field: 'event_timestamp', direction: -1 },
      skip: 50,
      limit: 25,
    });
    expect(page.map((d) => d._id)).toEqual(want.slice(50, 75));
    const inexact = { $and: [selector, { 'event_data.n': { $gte: 0 } }] };
    const want2 = expected(docs, inexact);
    const page2 = await store.find(inexact, {
      order: { field: 'event_timestamp', direction: -1 },
      skip: 10,
      limit: 20,
    });
    expect(page2.map((d) => d._id)).toEqual(want2.slice(10, 30));
  });

  it('streams every match in order, in chunks', async () => {
    const selector = { $and: [{ log_level: { $gte: 20 } }, { _id: { $in: docs.map((d) => d._id) } }] };
    const seen: string[] = [];
    for await (const doc of store.stream(selector, { order: { field: 'received_at', direction: 1 }, chunkSize: 13 }))
      seen.push(doc._id);
    expect(seen).toEqual(expected(docs, selector, { field: 'received_at', direction: 1 }));
    const inexact = { $and: [selector, { 'event_data.n': { $lt: 5 } }] };
    const seen2: string[] = [];
    for await (const doc of store.stream(inexact, { order: { field: 'event_timestamp', direction: -1 }, chunkSize: 7 }))
      seen2.push(doc._id);
    expect(seen2).toEqual(expected(docs, inexact));
  });

  it('streams a window in many chunks from a position: every event once, in order, equal timestamps included', async () => {
    // Ten events on each of five instants, stored in shuffled order, so ties fall across chunk edges.
    const random = seededRandom(11);
    const tied = Array.from({ length: 50 }, (_, i) =>
      makeDoc({ event_type: 'node_status_update', event_timestamp: at(600 + (i % 5)), received_at: at(600) }),
    );
    const shuffled = [...tied].sort(() => random() - 0.5);
    await store.insertMany(shuffled);
    try {
      const selector = { _id: { $in: tied.map((d) => d._id) } };
      for (const direction of [1, -1] as const) {
        const order = { field: 'event_timestamp', direction } as const;
        const want = expected(tied, selector, order);
        for (const chunkSize of [3, 10, 1000]) {
          const seen: string[] = [];
          for await (const doc of store.stream(selector, { order, chunkSize })) seen.push(doc._id);
          expect(seen, `chunks of ${chunkSize}`).toEqual(want);
        }
        // Strictly after a position in the middle of a tie, as a report's window start or a resumed read.
        const start = tied.find((d) => d._id === want[22])!;
        const fromPosition: string[] = [];
        for await (const doc of store.stream(selector, {
          order: { ...order, after: { value: start.event_timestamp, id: start._id } },
          chunkSize: 4,
          projection: ['event_type', 'event_timestamp'],
        }))
          fromPosition.push(doc._id);
        expect(fromPosition).toEqual(want.slice(23));
      }
    } finally {
      await store.deleteMany({ _id: { $in: tied.map((d) => d._id) } });
    }
  });

  it('lists ids in order without payloads', async () => {
    const selector = { $and: [{ archived: true }, { _id: { $in: docs.map((d) => d._id) } }] };
    const ids = await store.findIds(selector, { order: { field: 'event_timestamp', direction: 1 }, limit: 5, skip: 2 });
    expect(ids).toEqual(expected(docs, selector, { field: 'event_timestamp', direction: 1 }).slice(2, 7));
  });

  it('archives and unarchives by id, counting only real changes', async () => {
    const extra = [makeDoc(), makeDoc(), makeDoc()];
    await store.insertMany(extra);
    const at = new Date(Date.UTC(2025, 5, 1, 12, 0, 0, 123));
    expect(await store.setArchived([extra[0]!._id, extra[1]!._id, 'missing'], at)).toBe(2);
    expect(await store.setArchived([extra[0]!._id], new Date())).toBe(0);
    const [a] = await store.findByIds([extra[0]!._id]);
    expect(a).toMatchObject({ archived: true, archived_at: at });
    expect(await store.setArchived([extra[0]!._id, extra[2]!._id], null)).toBe(1);
    const [b] = await store.findByIds([extra[0]!._id]);
    expect(b).toMatchObject({ archived: false, archived_at: null });
    expect(await store.deleteMany({ _id: { $in: extra.map((d) => d._id) } })).toBe(3);
    expect(await store.findByIds(extra.map((d) => d._id))).toEqual([]);
  });

  it('deletes by a selector that needs mingo', async () => {
    const extra = [makeDoc({ event_data: { purge: 1 } }), makeDoc({ event_data: { purge: 2 } })];
    await store.insertMany(extra);
    expect(await store.deleteMany({ 'event_data.purge': { $gte: 2 } })).toBe(1);
    expect((await store.findByIds(extra.map((d) => d._id))).map((d) => d._id)).toEqual([extra[0]!._id]);
  });

  /** Walks a selector page by page (keyset), then back from the end, and checks both walks and a skip. */
  async function checkWalks(selector: Selector, limit: number): Promise<void> {
    for (const direction of [-1, 1] as const) {
      const order = { field: 'event_timestamp', direction } as const;
      const want = expected(docs, selector, order);
      const seen: string[] = [];
      let after: ReadOrder['after'];
      for (;;) {
        const page = await store.find(selector, { order: { ...order, ...(after ? { after } : {}) }, limit });
        const ids = await store.findIds(selector, { order: { ...order, ...(after ? { after } : {}) }, limit });
        expect(ids).toEqual(page.map((d) => d._id));
        seen.push(...page.map((d) => d._id));
        if (page.length < limit) break;
        const last = page.at(-1)!;
        after = { value: last.event_timestamp, id: last._id };
      }
      expect(seen).toEqual(want);
      // A skip beyond what each per-value seek would hold without it.
      const skip = Math.min(limit * 3, want.length);
      const skipped = await store.find(selector, { order, limit, skip });
      expect(skipped.map((d) => d._id)).toEqual(want.slice(skip, skip + limit));
      expect(await store.count(selector)).toBe(want.length);
    }
  }

  const mine = () => ({ _id: { $in: docs.map((d) => d._id) } });

  // Merged per-value index seeks on SQLite (docs/performance.md#merged-seeks): the same pages as one $in.
  for (const [name, filter] of [
    ['several event types', { eventTypes: ['node_error', 'workflow_complete', 'experiment_start'] }],
    ['several levels', { levels: [10, 40, 50] }],
    ['several nodes', { source: { nodeId: [NODES[0]!, NODES[2]!] } }],
    [
      'types with a level floor, a node and all archive states',
      {
        eventTypes: ['node_error', 'log_info'],
        minLevel: 20,
        source: { nodeId: [NODES[1]!] },
        archived: 'ALL',
      },
    ],
    [
      'types and levels with a time window',
      {
        eventTypes: ['node_start', 'node_error', 'log_info'],
        levels: [0, 20, 40],
        from: new Date(BASE_TIME + 5 * 60_000),
        to: new Date(BASE_TIME + 35 * 60_000),
      },
    ],
    ['types and text', { eventTypes: ['node_start', 'node_error', 'log_info'], text: 'robot' }],
  ] as [string, Record<string, unknown>][]) {
    it(`walks a multi-value filter (${name}) both ways by keyset, ties on the timestamp broken by id`, async () => {
      const selector = { $and: [filterToSelector(filter as never), mine()] };
      expect(expected(docs, selector).length).toBeGreaterThan(5);
      await checkWalks(selector, 4);
      await checkWalks(filterToSelector(filter as never), 1000);
    });
  }

  it('answers randomized text searches exactly as the substring scan does', async () => {
    const random = seededRandom(11);
    const texts = [
      'Robot arm moved 5%_ of the way',
      'Schöne GRÜSSE aus Köln — straße',
      'İstanbul ΣΊΣΥΦΟΣ ǅemal',
      'emoji 🧪🔬 test-tube; "quoted" \\ back\\slash',
      'a_b%c d%%e __ under_score',
      'line one\nline two\ttab',
      'ABC abc AbC',
    ];
    const extra = texts.map((text, i) =>
      makeDoc({ event_timestamp: new Date(BASE_TIME + i * 1000), event_data: { message: text, n: i * 37 } }),
    );
    await store.insertMany(extra);
    const all = [...docs, ...extra];
    const pool = all.map((d) => d.search_text).filter((t) => t.length > 0);
    const terms = new Set<string>([
      '%',
      '_',
      '%_',
      'a_b',
      'd%%',
      '"',
      '\\',
      'ss',
      'ß',
      'İ',
      'i̇',
      'σ',
      'ΣΊΣ',
      '🧪',
      '🧪🔬',
      'ǅ',
      'ǆ',
      'é',
      '\n',
      'e\nl',
      'zzzzq',
    ]);
    for (let i = 0; i < 120; i++) {
      const text = pool[Math.floor(random() * pool.length)]!;
      const chars = [...text];
      const start = Math.floor(random() * chars.length);
      const length = 1 + Math.floor(random() * 8);
      let term = chars.slice(start, start + length).join('');
      if (random() < 0.3) term = term.toUpperCase();
      if (term.trim() !== '') terms.add(term);
    }
    for (const term of terms) {
      const selector = {
        $and: [filterToSelector({ text: term, archived: 'ALL' as never }), { _id: { $in: all.map((d) => d._id) } }],
      };
      const want = expected(all, selector);
      const page = await store.find(selector, { order: { field: 'event_timestamp', direction: -1 }, limit: 1000 });
      expect(
        page.map((d) => d._id),
        `text ${JSON.stringify(term)}`,
      ).toEqual(want);
      expect(await store.count(selector), `count of text ${JSON.stringify(term)}`).toBe(want.length);
    }
    await store.deleteMany({ _id: { $in: extra.map((d) => d._id) } });
  });

  it('reports itself reachable', async () => {
    const ping = await store.ping();
    expect(ping).toMatchObject({ connected: true, engine: kind });
    expect(ping.version).toBeTruthy();
  });
});

/** A MongoDB store on a fresh database, with a driver client beside it; both closed and the database dropped after. */
async function withMongoStore(
  body: (store: MongoEventStore, config: ReturnType<typeof testConfig>, client: MongoClient) => Promise<void>,
): Promise<void> {
  const { env, cleanup } = storeEnv('mongodb');
  const config = testConfig(env);
  const store = new MongoEventStore(config.mongo!);
  await store.init();
  const client = new MongoClient(config.mongo!.uri);
  try {
    await body(store, config, client);
  } finally {
    await client.close();
    await store.close();
    await cleanup();
  }
}

describe('MongoDB store: one cursor per stream', () => {
  it('reopens a cursor the server lost after the last event it handed out: none twice, none missed', async () => {
    await withMongoStore(async (store, config, client) => {
      // Three events per instant, so the reopened read starts inside a tie.
      const docs = Array.from({ length: 30 }, (_, i) => makeDoc({ event_timestamp: at(700 + Math.floor(i / 3)) }));
      await store.insertMany([...docs].reverse());
      const order = { field: 'event_timestamp', direction: 1 } as const;
      const want = expected(docs, {}, order);
      const seen: string[] = [];
      for await (const doc of store.stream({}, { order, chunkSize: 5 })) {
        seen.push(doc._id);
        if (seen.length === 7) {
          // Dropping a collection ends its cursors (FerretDB and MongoDB alike); the events come back as they were.
          await client.db(config.mongo!.database).collection(config.mongo!.collection).drop();
          await store.insertMany(docs);
        }
      }
      expect(seen).toEqual(want);
    });
  });
});

describe('MongoDB store: documents stored with every member (before defaults were left out)', () => {
  it('read, match and archive exactly as documents in the stored shape do', async () => {
    await withMongoStore(async (store, config, client) => {
      const ferret = await isFerretDb(config.mongo!.uri);
      const docs = variedDocs(160, 11);
      const [old, fresh] = [docs.slice(0, 80), docs.slice(80)];
      const raw = client.db(config.mongo!.database).collection<EventDocument>(config.mongo!.collection);
      // As the store wrote them before: every member, defaults included.
      await raw.insertMany(old.map((doc) => ({ ...doc })));
      await store.insertMany(fresh);

      // The two shapes on disk: all 13 members, or without those holding their default.
      const defaults = { alert: false, trace_id: null, span_id: null, archived: false, archived_at: null };
      const stored = new Map((await raw.find({}).toArray()).map((doc) => [doc._id, doc as Record<string, unknown>]));
      for (const doc of old) expect(Object.keys(stored.get(doc._id)!)).toHaveLength(13);
      for (const doc of fresh) {
        const keys = Object.keys(stored.get(doc._id)!);
        for (const [key, value] of Object.entries(defaults))
          expect(keys.includes(key), `${doc._id}.${key}`).toBe(doc[key as keyof EventDocument] !== value);
      }

      const found = new Map((await store.findByIds(docs.map((d) => d._id))).map((d) => [d._id, d]));
      for (const doc of docs) expect(found.get(doc._id)).toEqual(doc);
      for (const [name, rawSelector] of Object.entries(SELECTORS)) {
        if (ferret && FERRETDB_GAPS.has(name)) continue;
        const selector = sanitizeSelector(rawSelector, 20);
        const order = { field: 'event_timestamp', direction: -1 } as const;
        const want = expected(docs, selector);
        expect(
          (await store.find(selector, { order, limit: 1000 })).map((d) => d._id),
          name,
        ).toEqual(want);
        expect(await store.count(selector), name).toBe(want.length);
      }

      // Archiving and unarchiving an event of each shape: it reads back as it was.
      const pair = [old.find((d) => !d.archived)!, fresh.find((d) => !d.archived)!];
      const ids = pair.map((d) => d._id);
      expect(await store.setArchived(ids, new Date(BASE_TIME))).toBe(2);
      expect(await store.count({ _id: { $in: ids }, archived: false })).toBe(0);
      expect(await store.setArchived(ids, null)).toBe(2);
      expect(await store.count({ _id: { $in: ids }, archived: false, archived_at: { $exists: true } })).toBe(2);
      const back = new Map((await store.findByIds(ids)).map((d) => [d._id, d]));
      for (const doc of pair) expect(back.get(doc._id)).toEqual(doc);
    });
  });
});
