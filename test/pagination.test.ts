import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EventPageDocument,
  EventPageIdsDocument,
  EventsWalkDocument,
  type EventsWalkQuery,
  LogEventIdsDocument,
  type EventFilter,
  type EventInput,
} from './generated/graphql';
import { seededRandom } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';
import { STORE_KINDS } from './support/stores';

const COUNT = 10_000;
const T0 = Date.UTC(2025, 0, 1);
const SPAN = 30 * 24 * 3_600_000;
const WALK_TIMEOUT = 240_000;

describe.each(STORE_KINDS)('walking 10 000 events on %s', (kind) => {
  let server: TestServer;
  // FerretDB filters and sorts in memory (about a second a query at this size), so it walks in
  // larger pages; SQLite walks in smaller ones.
  const pageSize = kind === 'mongodb' ? 1000 : 250;
  const preexisting = new Set<string>();
  // Only the walk's own events, so other tests' data cannot interfere.
  const filter: EventFilter = {
    from: new Date(T0).toISOString(),
    to: new Date(T0 + SPAN).toISOString(),
    archived: 'ALL',
  };

  beforeAll(async () => {
    server = await startTestServer(kind);
    const random = seededRandom(42);
    for (let start = 0; start < COUNT; start += 2000) {
      const events: EventInput[] = [];
      for (let i = start; i < start + 2000; i++) {
        // Many equal timestamps (whole minutes), so ties must be broken by id.
        const at = T0 + Math.floor(random() * (SPAN / 60_000)) * 60_000;
        events.push({
          id: `pre-${String(i).padStart(5, '0')}`,
          eventTimestamp: new Date(at).toISOString(),
          logLevel: 'INFO',
        });
        preexisting.add(`pre-${String(i).padStart(5, '0')}`);
      }
      const { logEvents } = await server.ok(LogEventIdsDocument, { events });
      expect(logEvents.insertedCount).toBe(2000);
    }
  });
  afterAll(async () => server?.stop());

  it.each(['NEWEST_FIRST', 'OLDEST_FIRST'] as const)(
    'sees each pre-existing event exactly once by cursor (%s) while another client inserts',
    async (orderBy) => {
      const random = seededRandom(orderBy.length);
      let inserting = true;
      let inserted = 0;
      // The other client: small batches at random instants across the whole range.
      const writer = (async () => {
        while (inserting) {
          const events = Array.from({ length: 20 }, () => ({
            eventTimestamp: new Date(T0 + Math.floor(random() * SPAN)).toISOString(),
          }));
          await server.ok(LogEventIdsDocument, { events });
          inserted += events.length;
          // Let reads through: on FerretDB a write holds the database while it runs.
          await new Promise((resolve) => setTimeout(resolve, kind === 'mongodb' ? 200 : 20));
        }
      })();
      const seen = new Map<string, number>();
      let previous: number | null = null;
      let after: string | null = null;
      try {
        for (;;) {
          const { events }: EventsWalkQuery = await server.ok(EventsWalkDocument, {
            filter,
            first: pageSize,
            after,
            orderBy,
          });
          for (const edge of events.edges) {
            seen.set(edge.node.id, (seen.get(edge.node.id) ?? 0) + 1);
            const at = Date.parse(edge.node.eventTimestamp);
            if (previous !== null) expect(orderBy === 'NEWEST_FIRST' ? at <= previous : at >= previous).toBe(true);
            previous = at;
          }
          if (!events.pageInfo.hasNextPage) break;
          after = events.pageInfo.endCursor;
        }
      } finally {
        inserting = false;
        await writer;
      }
      expect(inserted).toBeGreaterThan(0);
      for (const id of preexisting) expect(seen.get(id), id).toBe(1);
      expect([...seen.values()].every((n) => n === 1)).toBe(true);
    },
    WALK_TIMEOUT,
  );

  it(
    'sees each event exactly once by offset when nothing is inserted',
    async () => {
      const total = (await server.ok(EventPageDocument, { filter, limit: 0 })).eventPage.totalCount;
      const seen = new Set<string>();
      for (let offset = 0; offset < total; offset += 1000) {
        const { eventPage } = await server.ok(EventPageIdsDocument, { filter, limit: 1000, offset });
        for (const item of eventPage.items) {
          expect(seen.has(item.id)).toBe(false);
          seen.add(item.id);
        }
      }
      expect(seen.size).toBe(total);
      for (const id of preexisting) expect(seen.has(id)).toBe(true);
    },
    WALK_TIMEOUT,
  );
});
