import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ArchiveEventsDocument,
  LifecycleEventIdsDocument,
  LogEventsDocument,
  PurgeArchivedEventsDocument,
  UnarchiveEventsDocument,
  type ArchiveState,
  type EventInput,
} from './generated/graphql';
import { startTestServer, type TestServer } from './support/server';
import { STORE_KINDS } from './support/stores';

const DAY = 24 * 3600 * 1000;
const T0 = Date.UTC(2025, 0, 6, 8, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

describe.each(STORE_KINDS)('archive, unarchive and purge on %s', (kind) => {
  let server: TestServer;
  /** The server's lifecycle clock; tests move it. */
  let now = T0;

  beforeAll(async () => {
    server = await startTestServer(kind, {}, { clock: () => new Date(now) });
  });
  afterAll(async () => server?.stop());
  beforeEach(async () => {
    now = T0;
    await server.handle.services.store.deleteMany({});
  });

  /** Logs events over HTTP; returns their ids in order. */
  async function log(events: EventInput[]): Promise<string[]> {
    const { logEvents } = await server.ok(LogEventsDocument, { events });
    return logEvents.events.map((e) => e.id);
  }

  /** Events at `T0 + offsets[i]` days. */
  const at = (...offsetsInDays: number[]): EventInput[] =>
    offsetsInDays.map((days, i) => ({ eventTimestamp: iso(T0 + days * DAY), eventData: { n: i } }));

  async function listed(archived?: ArchiveState) {
    const { events } = await server.ok(LifecycleEventIdsDocument, {
      filter: archived ? { archived } : null,
      first: 1000,
    });
    expect(events.totalCount).toBe(events.nodes.length);
    return events.nodes;
  }
  const idsOf = async (archived?: ArchiveState) => (await listed(archived)).map((e) => e.id).sort();

  it('archives every given id, in batches smaller than the list (docs/madsci-compatibility.md#d10-archiving-by-ids)', async () => {
    const ids = await log(at(...Array.from({ length: 12 }, (_, i) => -i)));
    const { archiveEvents } = await server.ok(ArchiveEventsDocument, { ids: [...ids, 'no-such-id'], batchSize: 5 });
    expect(archiveEvents).toEqual({ archivedCount: 12, message: 'Successfully archived 12 events' });

    // Archived events leave the default queries and stay reachable with ARCHIVED and ALL.
    expect(await idsOf()).toEqual([]);
    const archived = await listed('ARCHIVED');
    expect(archived.map((e) => e.id).sort()).toEqual([...ids].sort());
    expect(archived.every((e) => e.archived && e.archivedAt === iso(T0))).toBe(true);
    expect(await idsOf('ALL')).toEqual([...ids].sort());

    // Archiving again changes nothing and counts nothing.
    const again = await server.ok(ArchiveEventsDocument, { ids, batchSize: 5 });
    expect(again.archiveEvents.archivedCount).toBe(0);
  });

  it('archives the active events older than a date, in batches, and no others', async () => {
    const old = await log(at(-30, -20, -10, -9, -8, -7, -3));
    const boundary = await log(at(-2)); // exactly at `before`: not older, so kept
    const recent = await log(at(-1, 0, 5));
    await server.ok(ArchiveEventsDocument, { ids: [old[0]!] });

    const { archiveEvents } = await server.ok(ArchiveEventsDocument, { before: iso(T0 - 2 * DAY), batchSize: 2 });
    // The one archived beforehand is not counted again.
    expect(archiveEvents).toEqual({
      archivedCount: old.length - 1,
      message: `Successfully archived ${old.length - 1} events`,
    });
    expect(await idsOf('ARCHIVED')).toEqual([...old].sort());
    expect(await idsOf()).toEqual([...boundary, ...recent].sort());
  });

  it('refuses an archive with neither ids nor before, and bad batch sizes', async () => {
    const [id] = await log(at(-5));
    for (const variables of [{}, { ids: [] }, { ids: null, before: null }]) {
      const { errors } = await server.gql(ArchiveEventsDocument, variables);
      expect(errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'ids' });
      expect(errors?.[0]?.message).toBe('Either ids or before must be provided');
    }
    const { errors } = await server.gql(ArchiveEventsDocument, { ids: [id!], batchSize: -1 });
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'batchSize' });
    expect(await idsOf()).toEqual([id]);
  });

  it('unarchives: the events come back to the default queries', async () => {
    const ids = await log(at(-4, -3, -2, -1));
    await server.ok(ArchiveEventsDocument, { ids });
    const { unarchiveEvents } = await server.ok(UnarchiveEventsDocument, {
      ids: [ids[0]!, ids[1]!, ids[2]!, 'no-such-id'],
    });
    expect(unarchiveEvents).toEqual({ archivedCount: 3, message: 'Successfully unarchived 3 events' });
    const active = await listed();
    expect(active.map((e) => e.id).sort()).toEqual([ids[0], ids[1], ids[2]].sort());
    expect(active.every((e) => !e.archived && e.archivedAt === null)).toBe(true);
    expect(await idsOf('ARCHIVED')).toEqual([ids[3]]);
    // Unarchiving an active event changes nothing.
    expect((await server.ok(UnarchiveEventsDocument, { ids: [ids[0]!] })).unarchiveEvents.archivedCount).toBe(0);
  });

  it('purges archived events by how long ago they were archived, never active ones', async () => {
    const archivedLongAgo = await log(at(-900, -800, -700));
    const archivedLately = await log(at(-600, -500));
    const active = await log(at(-1000, -2));
    await server.ok(ArchiveEventsDocument, { ids: archivedLongAgo });
    now = T0 + 200 * DAY;
    await server.ok(ArchiveEventsDocument, { ids: archivedLately });

    now = T0 + 400 * DAY; // 400 days after the first archiving, 200 after the second
    const { purgeArchivedEvents } = await server.ok(PurgeArchivedEventsDocument, { olderThanDays: 365 });
    expect(purgeArchivedEvents).toEqual({
      deletedCount: 3,
      message: 'Permanently deleted 3 archived events older than 365 days',
    });
    expect(await idsOf('ARCHIVED')).toEqual([...archivedLately].sort());

    // The default is 365 days: nothing more is old enough.
    expect((await server.ok(PurgeArchivedEventsDocument, {})).purgeArchivedEvents.deletedCount).toBe(0);
    // 0 days: every archived event.
    const all = await server.ok(PurgeArchivedEventsDocument, { olderThanDays: 0 });
    expect(all.purgeArchivedEvents).toEqual({
      deletedCount: 2,
      message: 'Permanently deleted 2 archived events older than 0 days',
    });
    expect(await idsOf('ALL')).toEqual([...active].sort());

    const { errors } = await server.gql(PurgeArchivedEventsDocument, { olderThanDays: -1 });
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'olderThanDays' });
  });

  it('loses nothing when archiving while another client ingests', async () => {
    const cutoff = T0 - 10 * DAY;
    const before = await log(
      Array.from({ length: 60 }, (_, i) => ({ eventTimestamp: iso(cutoff - (i + 1) * 3600_000), eventData: { n: i } })),
    );
    // Another client sends batches mixing old and new events while archiving runs in small batches.
    const ingested: string[] = [];
    const ingest = (async () => {
      for (let b = 0; b < 6; b++) {
        const batch = Array.from({ length: 20 }, (_, i) => ({
          eventTimestamp: iso(i % 2 === 0 ? cutoff - (b * 20 + i + 1) * 60_000 : T0 + (b * 20 + i) * 60_000),
          eventData: { batch: b, i },
        }));
        ingested.push(...(await log(batch)));
      }
    })();
    const archiving = (async () => {
      let total = 0;
      for (let round = 0; round < 3; round++) {
        total += (await server.ok(ArchiveEventsDocument, { before: iso(cutoff), batchSize: 7 })).archiveEvents
          .archivedCount;
      }
      return total;
    })();
    const [, archivedWhileIngesting] = await Promise.all([ingest, archiving]);
    const last = (await server.ok(ArchiveEventsDocument, { before: iso(cutoff) })).archiveEvents.archivedCount;

    const all = await listed('ALL');
    expect(all.map((e) => e.id).sort()).toEqual([...before, ...ingested].sort());
    // Every old event is archived exactly once (counts add up), and no new one is.
    const oldIngested = ingested.filter((_, i) => i % 2 === 0);
    expect(archivedWhileIngesting + last).toBe(before.length + oldIngested.length);
    expect(await idsOf('ARCHIVED')).toEqual([...before, ...oldIngested].sort());
  });
});
