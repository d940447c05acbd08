import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EventPageDocument,
  EventsByIdsDocument,
  EventsConnectionDocument,
  EventsCountCappedDocument,
  EventsCountDocument,
  GetEventDocument,
  HealthDocument,
  LogEventDocument,
  LogEventsDocument,
  QueryEventsDocument,
  type EventFilter,
  type EventsConnectionQuery,
  type EventInput,
} from './generated/graphql';
import { NODES, USER, WORKCELL } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';
import { STORE_KINDS } from './support/stores';

const T0 = Date.UTC(2025, 0, 6, 8, 0, 0);
const iso = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

describe.each(STORE_KINDS)('GraphQL ingest and queries on %s', (kind) => {
  let server: TestServer;
  /** id by a short name, for the filter fixtures below. */
  const ids: Record<string, string> = {};

  /** A small lab: each event differs from the others in one or two filterable ways. */
  const FIXTURE: Record<string, EventInput> = {
    debugOld: {
      eventType: 'LOG_DEBUG',
      logLevel: 'DEBUG',
      eventTimestamp: iso(0),
      eventData: { message: 'calibration started' },
    },
    nodeStart: {
      eventType: 'NODE_START',
      logLevel: 'INFO',
      eventTimestamp: iso(10),
      source: { nodeId: NODES[0]!.toLowerCase(), workcellId: WORKCELL },
      eventData: { message: 'Robot ARM online' },
    },
    nodeError: {
      eventType: 'NODE_ERROR',
      logLevel: 'ERROR',
      eventTimestamp: iso(20),
      source: { nodeId: NODES[1] },
      eventData: { message: 'Pump jammed', code: 7 },
    },
    alertWarn: {
      eventType: 'LOG_WARNING',
      logLevel: 'WARNING',
      alert: true,
      eventTimestamp: iso(30),
      source: { userId: USER },
      eventData: 'free text payload with Keyword',
    },
    critical: {
      eventType: 'WORKFLOW_ABORT',
      logLevel: 'CRITICAL',
      eventTimestamp: iso(40),
      source: { workflowId: NODES[2] },
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
    },
    naiveTime: {
      eventType: 'EXPERIMENT_START',
      eventTimestamp: '2025-01-06T08:50:00',
      source: { experimentId: NODES[0] },
    },
  };

  beforeAll(async () => {
    server = await startTestServer(kind);
    for (const [name, event] of Object.entries(FIXTURE)) {
      const { logEvent } = await server.ok(LogEventDocument, { event });
      ids[name] = logEvent.id;
    }
  });
  afterAll(async () => server?.stop());

  const idsOf = (names: string[]) => names.map((n) => ids[n]);

  async function filtered(filter: EventFilter): Promise<string[]> {
    const { events } = await server.ok(EventsConnectionDocument, { filter, first: 100, orderBy: 'OLDEST_FIRST' });
    const { eventPage } = await server.ok(EventPageDocument, { filter, limit: 100 });
    const { events: counted } = await server.ok(EventsCountDocument, { filter });
    // Both pagination styles and the count agree on every filter.
    expect([...eventPage.items].reverse().map((e) => e.id)).toEqual(events.nodes.map((e) => e.id));
    expect(counted.totalCount).toBe(events.nodes.length);
    expect(eventPage.totalCount).toBe(events.nodes.length);
    return events.nodes.map((e) => e.id);
  }

  it('logs an event with defaults filled and source ids upper-cased', async () => {
    const before = Date.now();
    const { logEvent } = await server.ok(LogEventDocument, { event: { source: { nodeId: NODES[2]!.toLowerCase() } } });
    expect(logEvent).toMatchObject({
      eventType: 'UNKNOWN',
      logLevel: 'INFO',
      logLevelValue: 20,
      alert: false,
      eventData: {},
      traceId: null,
      spanId: null,
      archived: false,
      archivedAt: null,
      source: { nodeId: NODES[2], userId: null },
    });
    expect(logEvent.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    const received = Date.parse(logEvent.receivedAt);
    expect(received).toBeGreaterThanOrEqual(before - 5);
    expect(Date.parse(logEvent.eventTimestamp)).toBe(received);
  });

  it('reads an event back by id exactly as logged, with dates as UTC instants', async () => {
    const { event } = await server.ok(GetEventDocument, { id: ids.critical! });
    expect(event).toMatchObject({
      id: ids.critical,
      eventType: 'WORKFLOW_ABORT',
      logLevel: 'CRITICAL',
      logLevelValue: 50,
      eventTimestamp: iso(40),
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      source: { workflowId: NODES[2] },
    });
    const { event: naive } = await server.ok(GetEventDocument, { id: ids.naiveTime! });
    expect(naive!.eventTimestamp).toBe('2025-01-06T08:50:00.000Z');
    const { event: missing } = await server.ok(GetEventDocument, { id: 'no-such-id' });
    expect(missing).toBeNull();
  });

  it('keeps string payloads as sent', async () => {
    const { event } = await server.ok(GetEventDocument, { id: ids.alertWarn! });
    expect(event!.eventData).toBe('free text payload with Keyword');
  });

  it('is idempotent on client-chosen ids: the stored event is returned unchanged', async () => {
    const id = 'client-chosen-id-1';
    const first = await server.ok(LogEventDocument, { event: { id, eventType: 'TEST', eventData: { v: 1 } } });
    const second = await server.ok(LogEventDocument, {
      event: { id, eventType: 'LOG_ERROR', logLevel: 'ERROR', eventData: { v: 2 } },
    });
    expect(second.logEvent).toEqual(first.logEvent);
  });

  it('logs a batch, counting duplicates against the store and inside the batch', async () => {
    const { logEvents } = await server.ok(LogEventsDocument, {
      events: [
        { id: 'batch-1', eventType: 'DATA_STORE' },
        { id: 'batch-2', eventType: 'DATA_QUERY' },
        { id: 'batch-1', eventType: 'DATA_EXPORT' },
        { id: ids.nodeStart, eventType: 'TEST' },
      ],
    });
    expect(logEvents.insertedCount).toBe(2);
    expect(logEvents.duplicateCount).toBe(2);
    expect(logEvents.events.map((e) => [e.id, e.eventType])).toEqual([
      ['batch-1', 'DATA_STORE'],
      ['batch-2', 'DATA_QUERY'],
      ['batch-1', 'DATA_STORE'],
      [ids.nodeStart, 'NODE_START'],
    ]);
  });

  it('answers eventsByIds in the order asked, null for missing ids, in one store round trip', async () => {
    const store = server.handle.services.store;
    const original = store.findByIds.bind(store);
    let calls = 0;
    store.findByIds = (list) => {
      calls++;
      return original(list);
    };
    try {
      const wanted = [ids.critical!, 'missing', ids.debugOld!, ids.critical!];
      const { eventsByIds } = await server.ok(EventsByIdsDocument, { ids: wanted });
      expect(eventsByIds.map((e) => e?.id ?? null)).toEqual([ids.critical, null, ids.debugOld, ids.critical]);
      expect(calls).toBe(1);
    } finally {
      store.findByIds = original;
    }
  });

  describe('EventFilter', () => {
    const fixtureOnly = (filter: EventFilter): EventFilter => ({ and: [filter, { from: iso(0), to: iso(60) }] });

    it.each<[string, EventFilter, string[]]>([
      ['minLevel', { minLevel: 'WARNING' }, ['nodeError', 'alertWarn', 'critical']],
      ['levels', { levels: ['DEBUG', 'CRITICAL'] }, ['debugOld', 'critical']],
      ['eventTypes', { eventTypes: ['NODE_START', 'NODE_ERROR'] }, ['nodeStart', 'nodeError']],
      ['from (inclusive)', { from: iso(20) }, ['nodeError', 'alertWarn', 'critical', 'naiveTime']],
      ['to (exclusive)', { to: iso(20) }, ['debugOld', 'nodeStart']],
      [
        'time range with offsets',
        { from: '2025-01-06T03:10:00-05:00', to: '2025-01-06T09:30:00+01:00' },
        ['nodeStart', 'nodeError'],
      ],
      [
        'source nodeId, any case',
        { source: { nodeId: [NODES[0]!.toLowerCase(), NODES[1]!] } },
        ['nodeStart', 'nodeError'],
      ],
      ['source workcellId', { source: { workcellId: [WORKCELL] } }, ['nodeStart']],
      ['source userId', { source: { userId: [USER] } }, ['alertWarn']],
      ['source workflowId', { source: { workflowId: [NODES[2]!] } }, ['critical']],
      ['source experimentId', { source: { experimentId: [NODES[0]!] } }, ['naiveTime']],
      ['alert', { alert: true }, ['alertWarn']],
      ['not alert', { alert: false, minLevel: 'ERROR' }, ['nodeError', 'critical']],
      ['text in a message, any case', { text: 'robot arm' }, ['nodeStart']],
      ['text in a string payload', { text: 'KEYWORD' }, ['alertWarn']],
      ['text with regex characters is literal', { text: 'a.m' }, []],
      ['and', { and: [{ minLevel: 'INFO' }, { to: iso(25) }] }, ['nodeStart', 'nodeError']],
      ['or', { or: [{ levels: ['DEBUG'] }, { alert: true }] }, ['debugOld', 'alertWarn']],
      ['empty or matches nothing', { or: [] }, []],
      [
        'nested and/or',
        { or: [{ and: [{ minLevel: 'ERROR' }, { text: 'pump' }] }, { eventTypes: ['EXPERIMENT_START'] }] },
        ['nodeError', 'naiveTime'],
      ],
    ])('filters by %s', async (_name, filter, expectedNames) => {
      expect(await filtered(fixtureOnly(filter))).toEqual(idsOf(expectedNames));
    });
  });

  it('paginates a connection with cursors in both orders', async () => {
    const filter: EventFilter = { from: iso(0), to: iso(60) };
    const walk = async (orderBy: 'NEWEST_FIRST' | 'OLDEST_FIRST') => {
      const seen: string[] = [];
      let after: string | null = null;
      let pages = 0;
      for (;;) {
        const { events }: EventsConnectionQuery = await server.ok(EventsConnectionDocument, {
          filter,
          first: 2,
          after,
          orderBy,
        });
        seen.push(...events.nodes.map((n) => n.id));
        expect(events.pageInfo.hasPreviousPage).toBe(pages > 0);
        expect(events.pageInfo.startCursor).toBe(events.edges[0]?.cursor ?? null);
        pages++;
        if (!events.pageInfo.hasNextPage) break;
        after = events.pageInfo.endCursor;
      }
      return seen;
    };
    const oldest = await walk('OLDEST_FIRST');
    expect(oldest).toEqual(idsOf(['debugOld', 'nodeStart', 'nodeError', 'alertWarn', 'critical', 'naiveTime']));
    expect(await walk('NEWEST_FIRST')).toEqual([...oldest].reverse());
  });

  it('pages by offset', async () => {
    const filter: EventFilter = { from: iso(0), to: iso(60) };
    const { eventPage } = await server.ok(EventPageDocument, { filter, limit: 2, offset: 1 });
    expect(eventPage).toMatchObject({ limit: 2, offset: 1, totalCount: 6 });
    expect(eventPage.items.map((e) => e.id)).toEqual(idsOf(['critical', 'alertWarn']));
  });

  it('caps totalCount at its limit, and refuses a limit that is not a positive integer', async () => {
    const filter: EventFilter = { from: iso(0), to: iso(60) };
    const capped = async (countLimit: number | null) => {
      const data = await server.ok(EventsCountCappedDocument, { filter, countLimit });
      expect(data.eventPage.totalCount).toBe(data.events.totalCount);
      return data.events.totalCount;
    };
    expect(await capped(null)).toBe(6);
    expect(await capped(4)).toBe(4);
    expect(await capped(6)).toBe(6);
    expect(await capped(100)).toBe(6);
    // The text filter (a scan on MongoDB, the text index on SQLite) stops at the cap too.
    const text = await server.ok(EventsCountCappedDocument, { filter: { text: 'e', archived: 'ALL' }, countLimit: 2 });
    expect(text.events.totalCount).toBe(2);
    for (const countLimit of [0, -3]) {
      const result = await server.gql(EventsCountCappedDocument, { filter, countLimit });
      // No data at all: the answer has its error's status (docs/errors.md#graphql-over-http).
      expect(result.status).toBe(400);
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'limit' });
    }
  });

  it('answers raw MADSci selectors, ISO and EJSON dates included', async () => {
    const run = async (selector: unknown) =>
      (await server.ok(QueryEventsDocument, { selector, limit: 100 })).queryEvents.map((e) => e.id).sort();
    expect(await run({ 'source.node_id': NODES[1], log_level: { $gte: 30 } })).toEqual([ids.nodeError]);
    expect(
      await run({ event_timestamp: { $gte: '2025-01-06T08:30:00', $lt: { $date: '2025-01-06T08:45:00Z' } } }),
    ).toEqual(idsOf(['alertWarn', 'critical']).sort());
    expect(await run({ 'event_data.code': 7 })).toEqual([ids.nodeError]);
    expect(await run({ $or: [{ event_type: 'log_debug' }, { alert: true }] })).toEqual(
      idsOf(['debugOld', 'alertWarn']).sort(),
    );
  });

  it('reports health with the engine and counts', async () => {
    const { health } = await server.ok(HealthDocument);
    expect(health).toMatchObject({
      healthy: true,
      description: 'Event Manager is running normally',
      database: { connected: true, engine: kind },
    });
    expect(health.totalEvents).toBeGreaterThanOrEqual(6);
    expect(health.archivedEvents).toBe(0);
    expect(health.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('answers /healthz and /readyz', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', database: kind });
  });
});
