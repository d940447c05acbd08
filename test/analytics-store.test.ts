/**
 * `EventStore.countGroups` on both stores: the same groups and counts as an oracle written here
 * in plain code (each selector's condition as a predicate, buckets by a linear scan, group keys
 * read field by field), per field and per bucket, for selectors the SQLite store answers in SQL
 * and for ones it must finish in memory. The oracle shares no code with the stores: the SQLite
 * store counts in memory with `src/store/group-counts.ts`, which an oracle built on the same
 * helpers could not catch.
 */
import { Query } from 'mingo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventDocument } from '../src/store/event-document';
import type { CountGroupsOptions, EventStore, GroupCount, GroupField, Selector } from '../src/store/event-store';
import { BASE_TIME, NODES, variedDocs } from './support/fixtures';
import { openStore, STORE_KINDS } from './support/stores';

const minutes = (n: number) => BASE_TIME + n * 60_000;

/** A selector the stores run, and the same condition as a predicate over the document. */
interface Case {
  selector: Selector;
  matches: (doc: EventDocument) => boolean;
}

const time = (doc: EventDocument): number => doc.event_timestamp.getTime();

const CASES: Record<string, Case> = {
  everything: { selector: {}, matches: () => true },
  'active events (SQL)': { selector: { archived: { $ne: true } }, matches: (d) => d.archived !== true },
  'level and source (SQL)': {
    selector: { $and: [{ log_level: { $gte: 20 } }, { 'source.node_id': { $in: [NODES[0], NODES[1]] } }] },
    matches: (d) => d.log_level >= 20 && (d.source.node_id === NODES[0] || d.source.node_id === NODES[1]),
  },
  'text search (SQL)': {
    selector: { search_text: { $regex: 'robot arm' } },
    matches: (d) => d.search_text.includes('robot arm'),
  },
  'a time window (SQL)': {
    selector: { event_timestamp: { $gte: new Date(minutes(3)), $lt: new Date(minutes(9)) } },
    matches: (d) => time(d) >= minutes(3) && time(d) < minutes(9),
  },
  'payload field (finished in memory on SQLite)': {
    selector: { 'event_data.n': { $gt: 4 } },
    matches: (d) => {
      const data = d.event_data;
      if (data === null || typeof data !== 'object' || Array.isArray(data)) return false;
      const n = (data as { n?: unknown }).n;
      return typeof n === 'number' && n > 4;
    },
  },
  'nothing matches': { selector: { _id: { $in: [] } }, matches: () => false },
};

/** The bucket `[b(i), b(i+1))` holding `t`, by a linear scan; null outside `[b0, bn)`. */
function bucketOf(boundaries: readonly number[], t: number): number | null {
  for (let i = 0; i + 1 < boundaries.length; i++) {
    if (boundaries[i]! <= t && t < boundaries[i + 1]!) return i;
  }
  return null;
}

/** The group key of a document, field by field (absent source members are null). */
function keyOf(doc: EventDocument, field: GroupField | null): GroupCount['key'] {
  switch (field) {
    case null:
      return null;
    case 'event_type':
      return doc.event_type;
    case 'log_level':
      return doc.log_level;
    case 'source.node_id':
      return doc.source.node_id ?? null;
    case 'source.workcell_id':
      return doc.source.workcell_id ?? null;
    case 'source.user_id':
      return doc.source.user_id ?? null;
    default:
      throw new Error(`the oracle does not know the group field ${field}`);
  }
}

/** What the store must answer: the matching documents, grouped by key and bucket, counted. */
function reference(
  docs: readonly EventDocument[],
  matches: Case['matches'],
  options: CountGroupsOptions,
): GroupCount[] {
  const groups: GroupCount[] = [];
  for (const doc of docs) {
    if (!matches(doc)) continue;
    let bucket: number | null = null;
    if (options.bucketBoundaries) {
      bucket = bucketOf(options.bucketBoundaries, time(doc));
      if (bucket === null) continue;
    }
    const key = keyOf(doc, options.groupField);
    const group = groups.find((g) => g.key === key && g.bucket === bucket);
    if (group) group.count += 1;
    else groups.push({ key, bucket, count: 1 });
  }
  return sorted(groups);
}

const sorted = (groups: GroupCount[]): GroupCount[] =>
  [...groups].sort(
    (a, b) => (a.bucket ?? -1) - (b.bucket ?? -1) || JSON.stringify(a.key).localeCompare(JSON.stringify(b.key)),
  );

const FIELDS: (GroupField | null)[] = [
  null,
  'event_type',
  'log_level',
  'source.node_id',
  'source.workcell_id',
  'source.user_id',
];

/** Uneven buckets that leave events out on both sides, as DST days and months are uneven. */
const BOUNDARIES = [minutes(1), minutes(2), minutes(4.5), minutes(5), minutes(11)];

describe('the oracle', () => {
  const docs = variedDocs(120, 11);

  it('reads each selector as MongoDB does (mingo), and each case selects some events but not all', () => {
    for (const [name, { selector, matches }] of Object.entries(CASES)) {
      const query = new Query(selector);
      const ours = docs.filter(matches).map((d) => d._id);
      expect(ours, name).toEqual(
        docs.filter((d) => query.test(d as unknown as Record<string, unknown>)).map((d) => d._id),
      );
      if (name === 'everything') expect(ours).toHaveLength(docs.length);
      else if (name === 'nothing matches') expect(ours).toEqual([]);
      else {
        expect(ours.length, name).toBeGreaterThan(0);
        expect(ours.length, name).toBeLessThan(docs.length);
      }
    }
  });

  it('buckets by hand: [1, 2) is 0, 4.5 falls in [4.5, 5), the last edge and before the first are out', () => {
    expect([0.5, 1, 1.9, 2, 4.5, 4.9, 5, 10.9, 11].map((m) => bucketOf(BOUNDARIES, minutes(m)))).toEqual([
      null,
      0,
      0,
      1,
      2,
      2,
      3,
      3,
      null,
    ]);
  });
});

describe.each(STORE_KINDS)('EventStore.countGroups on %s', (kind) => {
  let store: EventStore;
  let dispose: () => Promise<void>;
  const docs = variedDocs(120, 11);

  beforeAll(async () => {
    ({ store, dispose } = await openStore(kind));
    await store.insertMany(docs);
  });
  afterAll(async () => dispose?.());

  for (const [name, { selector, matches }] of Object.entries(CASES)) {
    it(`counts per field: ${name}`, async () => {
      for (const groupField of FIELDS) {
        const got = sorted(await store.countGroups(selector, { groupField }));
        expect(got, `grouped by ${groupField}`).toEqual(reference(docs, matches, { groupField }));
      }
    });

    it(`counts per field and bucket: ${name}`, async () => {
      for (const groupField of [null, 'event_type', 'source.node_id'] as const) {
        const options = { groupField, bucketBoundaries: BOUNDARIES };
        const got = sorted(await store.countGroups(selector, options));
        expect(got, `grouped by ${groupField}`).toEqual(reference(docs, matches, options));
      }
    });
  }

  it('puts an event exactly on a boundary in the later bucket, and leaves out the last edge', async () => {
    const edges = [minutes(2), minutes(3), minutes(4)];
    const got = sorted(await store.countGroups({}, { groupField: null, bucketBoundaries: edges }));
    const atTwo = docs.filter(
      (d) => d.event_timestamp.getTime() >= minutes(2) && d.event_timestamp.getTime() < minutes(3),
    ).length;
    const atThree = docs.filter(
      (d) => d.event_timestamp.getTime() >= minutes(3) && d.event_timestamp.getTime() < minutes(4),
    ).length;
    expect(got).toEqual([
      { key: null, bucket: 0, count: atTwo },
      { key: null, bucket: 1, count: atThree },
    ]);
    // The fixture has events at exactly minutes(2), (3) and (4): the test is not vacuous.
    expect(docs.some((d) => d.event_timestamp.getTime() === minutes(4))).toBe(true);
  });

  it('streams projected documents: the same events in the same order, the projected fields intact', async () => {
    const selector = { event_type: { $in: ['node_start', 'log_info'] } };
    const order = {
      field: 'event_timestamp',
      direction: 1,
      after: { value: new Date(minutes(2)), id: '\uffff' },
    } as const;
    const full = [];
    for await (const doc of store.stream(selector, { order, chunkSize: 7 })) full.push(doc);
    const projected = [];
    for await (const doc of store.stream(selector, {
      order,
      chunkSize: 7,
      projection: ['_id', 'event_type', 'event_timestamp', 'source', 'event_data'],
    }))
      projected.push(doc);
    expect(full.length).toBeGreaterThan(14);
    expect(projected.map((d) => [d._id, d.event_type, d.event_timestamp, d.source, d.event_data])).toEqual(
      full.map((d) => [d._id, d.event_type, d.event_timestamp, d.source, d.event_data]),
    );
    // The keyset start excludes everything up to and including minutes(2).
    expect(projected.every((d) => d.event_timestamp.getTime() > minutes(2))).toBe(true);
  });

  it('returns nothing for an empty bucket list', async () => {
    expect(await store.countGroups({}, { groupField: 'event_type', bucketBoundaries: [minutes(1)] })).toEqual([]);
  });
});
