/**
 * `EventStore.countGroups` on both stores: the same groups and counts as counting the documents
 * MongoDB's query language selects (mingo, the contract suite's reference), per field and per
 * bucket, for selectors the SQLite store answers in SQL and for ones it must finish with mingo.
 */
import { Query } from 'mingo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventDocument } from '../src/store/event-document';
import type { CountGroupsOptions, EventStore, GroupCount, GroupField, Selector } from '../src/store/event-store';
import { bucketIndex, groupValue } from '../src/store/group-counts';
import { BASE_TIME, NODES, variedDocs } from './support/fixtures';
import { openStore, STORE_KINDS } from './support/stores';

/** What the store must answer: the documents mingo selects, grouped in memory. */
function reference(docs: readonly EventDocument[], selector: Selector, options: CountGroupsOptions): GroupCount[] {
  const query = new Query(selector);
  const groups = new Map<string, GroupCount>();
  for (const doc of docs) {
    if (!query.test(doc as unknown as Record<string, unknown>)) continue;
    let bucket: number | null = null;
    if (options.bucketBoundaries) {
      bucket = bucketIndex(options.bucketBoundaries, doc.event_timestamp.getTime());
      if (bucket < 0) continue;
    }
    const key = groupValue(doc, options.groupField);
    const id = JSON.stringify([key, bucket]);
    const group = groups.get(id) ?? { key, bucket, count: 0 };
    group.count++;
    groups.set(id, group);
  }
  return sorted([...groups.values()]);
}

const sorted = (groups: GroupCount[]): GroupCount[] =>
  [...groups].sort((a, b) => (a.bucket ?? -1) - (b.bucket ?? -1) || JSON.stringify(a.key).localeCompare(JSON.stringify(b.key)));

const minutes = (n: number) => BASE_TIME + n * 60_000;

const SELECTORS: Record<string, Selector> = {
  everything: {},
  'active events (SQL)': { archived: { $ne: true } },
  'level and source (SQL)': { $and: [{ log_level: { $gte: 20 } }, { 'source.node_id': { $in: [NODES[0], NODES[1]] } }] },
  'text search (SQL)': { search_text: { $regex: 'robot arm' } },
  'a time window (SQL)': { event_timestamp: { $gte: new Date(minutes(3)), $lt: new Date(minutes(9)) } },
  'payload field (finished with mingo on SQLite)': { 'event_data.n': { $gt: 4 } },
  'nothing matches': { _id: { $in: [] } },
};

const FIELDS: (GroupField | null)[] = [null, 'event_type', 'log_level', 'source.node_id', 'source.workcell_id', 'source.user_id'];

/** Uneven buckets that leave events out on both sides, as DST days and months are uneven. */
const BOUNDARIES = [minutes(1), minutes(2), minutes(4.5), minutes(5), minutes(11)];

describe.each(STORE_KINDS)('EventStore.countGroups on %s', (kind) => {
  let store: EventStore;
  let dispose: () => Promise<void>;
  const docs = variedDocs(120, 11);

  beforeAll(async () => {
    ({ store, dispose } = await openStore(kind));
    await store.insertMany(docs);
  });
  afterAll(async () => dispose?.());

  for (const [name, selector] of Object.entries(SELECTORS)) {
    it(`counts per field: ${name}`, async () => {
      for (const groupField of FIELDS) {
        const got = sorted(await store.countGroups(selector, { groupField }));
        expect(got, `grouped by ${groupField}`).toEqual(reference(docs, selector, { groupField }));
      }
    });

    it(`counts per field and bucket: ${name}`, async () => {
      for (const groupField of [null, 'event_type', 'source.node_id'] as const) {
        const options = { groupField, bucketBoundaries: BOUNDARIES };
        const got = sorted(await store.countGroups(selector, options));
        expect(got, `grouped by ${groupField}`).toEqual(reference(docs, selector, options));
      }
    });
  }

  it('puts an event exactly on a boundary in the later bucket, and leaves out the last edge', async () => {
    const edges = [minutes(2), minutes(3), minutes(4)];
    const got = sorted(await store.countGroups({}, { groupField: null, bucketBoundaries: edges }));
    const atTwo = docs.filter((d) => d.event_timestamp.getTime() >= minutes(2) && d.event_timestamp.getTime() < minutes(3)).length;
    const atThree = docs.filter((d) => d.event_timestamp.getTime() >= minutes(3) && d.event_timestamp.getTime() < minutes(4)).length;
    expect(got).toEqual([
      { key: null, bucket: 0, count: atTwo },
      { key: null, bucket: 1, count: atThree },
    ]);
    // The fixture has events at exactly minutes(2), (3) and (4): the test is not vacuous.
    expect(docs.some((d) => d.event_timestamp.getTime() === minutes(4))).toBe(true);
  });

  it('streams projected documents: the same events in the same order, the projected fields intact', async () => {
    const selector = { event_type: { $in: ['node_start', 'log_info'] } };
    const order = { field: 'event_timestamp', direction: 1, after: { value: new Date(minutes(2)), id: '\uffff' } } as const;
    const full = [];
    for await (const doc of store.stream(selector, { order, chunkSize: 7 })) full.push(doc);
    const projected = [];
    for await (const doc of store.stream(selector, { order, chunkSize: 7, projection: ['_id', 'event_type', 'event_timestamp', 'source', 'event_data'] })) projected.push(doc);
    expect(full.length).toBeGreaterThan(14);
    expect(projected.map((d) => [d._id, d.event_type, d.event_timestamp, d.source, d.event_data])).toEqual(full.map((d) => [d._id, d.event_type, d.event_timestamp, d.source, d.event_data]));
    // The keyset start excludes everything up to and including minutes(2).
    expect(projected.every((d) => d.event_timestamp.getTime() > minutes(2))).toBe(true);
  });

  it('returns nothing for an empty bucket list', async () => {
    expect(await store.countGroups({}, { groupField: 'event_type', bucketBoundaries: [minutes(1)] })).toEqual([]);
  });
});
