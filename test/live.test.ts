import type { Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  AlertRaisedDocument,
  EventLoggedDocument,
  EventLoggedIdsDocument,
  EventsConnectionDocument,
  LogEventDocument,
  LogEventsDocument,
  type EventFilter,
  type EventInput,
} from './generated/graphql';
import { NODES } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';
import { STORE_KINDS } from './support/stores';
import { liveClient, RawLiveSocket, subscribe, type WireMessage } from './support/ws-client';

const T0 = Date.UTC(2025, 0, 6, 8, 0, 0);
const iso = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

const LEVELS = ['NOTSET', 'DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;
const TYPES = ['LOG_INFO', 'NODE_START', 'NODE_ERROR', 'WORKFLOW_COMPLETE', 'LOG_DEBUG'] as const;

/** A lab's worth of varied events: each filter below matches some and misses others. */
function variedEvent(i: number): EventInput {
  return {
    eventType: TYPES[i % TYPES.length],
    logLevel: LEVELS[i % LEVELS.length],
    alert: i % 7 === 0,
    eventTimestamp: iso((i * 7) % 60),
    source: { nodeId: NODES[i % NODES.length] },
    eventData: { message: i % 4 === 0 ? 'Pump jammed' : 'robot arm moved', i },
  };
}

/** Logged last in the filter test: it matches every live filter there, so its arrival closes each stream. */
const SENTINEL: EventInput = {
  eventType: 'NODE_ERROR',
  logLevel: 'ERROR',
  alert: true,
  eventTimestamp: iso(20),
  source: { nodeId: NODES[0] },
  eventData: { message: 'sentinel: pump jammed, arm stopped' },
};

describe.each(STORE_KINDS)('live subscriptions on %s', (kind) => {
  let server: TestServer;
  const clients: Client[] = [];
  const open = () => {
    const client = liveClient(server.url);
    clients.push(client);
    return client;
  };
  const live = () => server.handle.services.live.stats();
  /** Resolves once the server holds exactly `count` subscriptions (they are listening from then on). */
  const subscribersAre = (count: number) =>
    vi.waitFor(() => expect(live().subscribers).toBe(count), { timeout: 20_000, interval: 10 });

  async function logOne(event: EventInput): Promise<string> {
    return (await server.ok(LogEventDocument, { event })).logEvent.id;
  }
  async function logMany(events: EventInput[]): Promise<string[]> {
    return (await server.ok(LogEventsDocument, { events })).logEvents.events.map((e) => e.id);
  }

  beforeAll(async () => {
    server = await startTestServer(kind);
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.dispose();
    // Every test leaves nothing behind: closing the sockets released every subscription.
    await subscribersAre(0);
    expect(live().busListeners).toBe(0);
  });
  afterAll(async () => server?.stop());

  it('delivers exactly the events each filter selects, in the order the server received them', async () => {
    const filters: Record<string, EventFilter> = {
      minLevel: { minLevel: 'WARNING' },
      nodeAnyCase: { source: { nodeId: [NODES[0]!.toLowerCase()] } },
      text: { text: 'JAMMED' },
      types: { eventTypes: ['NODE_ERROR', 'NODE_START'] },
      alertOrDebug: { or: [{ alert: true }, { levels: ['DEBUG'] }] },
      timeWindow: { from: iso(15), to: iso(45) },
      nested: { and: [{ minLevel: 'INFO' }, { or: [{ source: { nodeId: [NODES[0]!] } }, { text: 'arm' }] }] },
      everything: {},
      archivedOnly: { archived: 'ARCHIVED' },
    };
    const client = open();
    const streams = Object.fromEntries(
      Object.entries(filters).map(([name, filter]) => [
        name,
        subscribe(client, EventLoggedDocument, { filter }, (d) => d.eventLogged),
      ]),
    );
    // The same events and filter, another selection: executions shared between identical
    // subscriptions must not leak one selection's shape into another.
    const idsOnly = subscribe(client, EventLoggedIdsDocument, { filter: {} }, (d) => d.eventLogged);
    await subscribersAre(Object.keys(filters).length + 1);

    // One at a time, then two batches: receipt order is the order sent.
    const logged: string[] = [];
    for (let i = 0; i < 10; i++) logged.push(await logOne(variedEvent(i)));
    logged.push(...(await logMany(Array.from({ length: 10 }, (_, i) => variedEvent(10 + i)))));
    logged.push(...(await logMany(Array.from({ length: 10 }, (_, i) => variedEvent(20 + i)))));
    const sentinel = await logOne(SENTINEL);
    logged.push(sentinel);

    for (const [name, filter] of Object.entries(filters)) {
      // What the events query selects with the same filter, among the events of this test.
      const { events } = await server.ok(EventsConnectionDocument, { filter, first: 1000 });
      const selected = new Set(events.nodes.map((node) => node.id));
      const expected = logged.filter((id) => selected.has(id));
      const stream = streams[name]!;
      if (name === 'archivedOnly') {
        expect(expected).toEqual([]);
        continue;
      }
      await stream.until((r) => r.values.at(-1)?.id === sentinel, `the sentinel on ${name}`);
      expect(stream.errors, name).toEqual([]);
      expect(
        stream.values.map((e) => e.id),
        name,
      ).toEqual(expected);
      if (name !== 'everything') {
        expect(expected.length, `${name} selects some events but not all`).toBeGreaterThan(1);
        expect(expected.length, name).toBeLessThan(logged.length);
      }
    }
    // The sentinel went out after everything else; the archived-only stream got nothing.
    expect(streams.archivedOnly!.values).toEqual([]);
    await idsOnly.until((r) => r.values.at(-1)?.id === sentinel, 'the sentinel, ids only');
    expect(idsOnly.values).toEqual(logged.map((id) => ({ id })));
    // Payloads are complete events with real instants.
    const last = streams.everything!.values.at(-1)!;
    expect(last).toMatchObject({
      eventType: 'NODE_ERROR',
      logLevel: 'ERROR',
      alert: true,
      eventTimestamp: iso(20),
      source: { nodeId: NODES[0] },
    });
  });

  it('resumes after the last event received: replays exactly what was missed, then continues live, while ingest goes on', async () => {
    const filter: EventFilter = { minLevel: 'INFO' };
    const matches = (event: EventInput) => event.logLevel !== 'DEBUG';
    const event = (i: number, extra: Partial<EventInput> = {}): EventInput => ({
      eventType: 'LOG_INFO',
      logLevel: i % 3 === 0 ? 'DEBUG' : 'INFO',
      eventData: { message: `event ${i}` },
      ...extra,
    });
    const batches =
      kind === 'sqlite'
        ? { away: 10, awaySize: 100, during: 20, duringSize: 25 }
        : { away: 3, awaySize: 20, during: 6, duringSize: 10 };

    // First session: five events, then the socket closes.
    const first = open();
    const session1 = subscribe(first, EventLoggedIdsDocument, { filter }, (d) => d.eventLogged.id);
    await subscribersAre(1);
    const seen: string[] = [];
    for (let i = 1; i <= 5; i++) seen.push(await logOne(event(i * 3 + 1)));
    await session1.untilCount(5);
    expect(session1.values).toEqual(seen);
    await first.dispose();
    await subscribersAre(0);

    // While away: batches of mixed levels, and one event logged late with a timestamp years old.
    const missed: string[] = [];
    let n = 100;
    for (let b = 0; b < batches.away; b++) {
      const inputs = Array.from({ length: batches.awaySize }, () => event(n++));
      if (b === 1)
        inputs.splice(
          3,
          0,
          event(n++, { logLevel: 'ERROR', eventTimestamp: '2020-01-01T00:00:00Z', eventData: { message: 'late' } }),
        );
      const ids = await logMany(inputs);
      missed.push(...ids.filter((_, i) => matches(inputs[i]!)));
    }

    // Second session resumes after the last id it saw, while another producer keeps logging.
    const second = open();
    const session2 = subscribe(second, EventLoggedIdsDocument, { filter, after: seen.at(-1) }, (d) => d.eventLogged.id);
    const during: string[] = [];
    for (let b = 0; b < batches.during; b++) {
      const inputs = Array.from({ length: batches.duringSize }, () => event(n++));
      const ids = await logMany(inputs);
      during.push(...ids.filter((_, i) => matches(inputs[i]!)));
    }
    const sentinel = await logOne(event(n++, { logLevel: 'WARNING' }));

    await session2.until((r) => r.values.includes(sentinel), 'the sentinel');
    expect(session2.errors).toEqual([]);
    const expected = [...missed, ...during, sentinel];
    expect(session2.values.length).toBe(expected.length);
    expect(new Set(session2.values).size).toBe(session2.values.length);
    expect(session2.values).toEqual(expected);
  });

  it("tells concurrent producers' events in receipt order, so resuming from any of them repeats and skips nothing", async () => {
    const client = open();
    const live = subscribe(client, EventLoggedIdsDocument, { filter: {} }, (d) => d.eventLogged.id);
    await subscribersAre(1);
    // Many calls at once: their inserts finish in any order, some in the same millisecond.
    const calls = kind === 'sqlite' ? 40 : 12;
    const logged = (
      await Promise.all(
        Array.from({ length: calls }, (_, c) =>
          logMany(Array.from({ length: 5 }, (_, i) => ({ eventData: { c, i } }))),
        ),
      )
    ).flat();
    const sentinel = await logOne(SENTINEL);
    await live.until((r) => r.values.includes(sentinel), 'the sentinel');
    expect(new Set(live.values)).toEqual(new Set([...logged, sentinel]));
    // Resuming after any received event yields exactly what followed it.
    for (const k of [0, Math.floor(logged.length / 3), logged.length - 2]) {
      const resumed = subscribe(
        client,
        EventLoggedIdsDocument,
        { filter: {}, after: live.values[k]! },
        (d) => d.eventLogged.id,
      );
      await resumed.until((r) => r.values.includes(sentinel), `the sentinel after #${k}`);
      expect(resumed.values, `after #${k}`).toEqual(live.values.slice(k + 1));
      resumed.unsubscribe();
    }
  });

  it('encodes each event once per distinct operation, yet every subscription gets exactly its filter, selection, aliases and id', async () => {
    const FULL =
      'subscription($f: EventFilter) { eventLogged(filter: $f) { id eventType logLevel source { nodeId } } }';
    const ALIASED = 'subscription($f: EventFilter) { ev: eventLogged(filter: $f) { key: id level: logLevel } }';
    const IDS = 'subscription($f: EventFilter) { eventLogged(filter: $f) { id } }';
    const a = new RawLiveSocket(server.url);
    const b = new RawLiveSocket(server.url);
    try {
      await Promise.all([a.init(), b.init()]);
      const warning: EventFilter = { minLevel: 'WARNING' };
      // Identical operations on one socket and across sockets, the same filter with another
      // selection, the same selection with another filter, and ids that need escaping in JSON.
      const subs: { socket: RawLiveSocket; id: string; query: string; filter: EventFilter }[] = [
        { socket: a, id: 'a-warn-full', query: FULL, filter: warning },
        { socket: b, id: 'b-warn-full', query: FULL, filter: warning },
        { socket: b, id: 'b-warn-ids', query: IDS, filter: warning },
        { socket: a, id: 'a-all-aliased', query: ALIASED, filter: {} },
        { socket: b, id: 'b "all" \\ aliased \u2713', query: ALIASED, filter: {} },
        { socket: a, id: 'a-start-aliased', query: ALIASED, filter: { eventTypes: ['NODE_START'] } },
        { socket: a, id: 'a-node-ids', query: IDS, filter: { source: { nodeId: [NODES[1]!] } } },
      ];
      for (const sub of subs) sub.socket.subscribe(sub.id, sub.query, { f: sub.filter });
      await subscribersAre(subs.length);

      // Tagged, so that the events query finds exactly these among what earlier tests stored.
      const tag = `shared-frames-${Date.now()}`;
      const tagged = (i: number): EventInput => ({
        ...variedEvent(i),
        eventData: { ...(variedEvent(i).eventData as Record<string, unknown>), tag },
      });
      const logged: string[] = [];
      for (let i = 0; i < 6; i++) logged.push(await logOne(tagged(i)));
      logged.push(...(await logMany(Array.from({ length: 14 }, (_, i) => tagged(6 + i)))));
      const nexts = (sub: (typeof subs)[number]) =>
        sub.socket.messages.filter((m) => m.id === sub.id && m.type === 'next') as (WireMessage & {
          payload: { data: Record<string, Record<string, unknown>> | null; errors?: { path?: unknown[] }[] };
        })[];
      const expectedOf = async (filter: EventFilter) => {
        const { events } = await server.ok(EventsConnectionDocument, {
          filter: { and: [filter, { text: tag }] },
          first: 1000,
        });
        const selected = new Set(events.nodes.map((node) => node.id));
        const stored = await server.handle.services.events.findByIds(logged.filter((id) => selected.has(id)));
        const byId = new Map(stored.map((doc) => [doc._id, doc]));
        return logged
          .filter((id) => selected.has(id))
          .map((id) => {
            const doc = byId.get(id)!;
            return {
              id,
              eventType: doc.event_type.toUpperCase(),
              logLevel: LEVELS[doc.log_level / 10]!,
              nodeId: doc.source.node_id,
            };
          });
      };
      for (const sub of subs) {
        const expected = await expectedOf(sub.filter);
        expect(expected.length, `${sub.id} selects some events`).toBeGreaterThan(1);
        await vi.waitFor(() => expect(nexts(sub).length, sub.id).toBeGreaterThanOrEqual(expected.length), {
          timeout: 20_000,
          interval: 20,
        });
        const got = nexts(sub);
        expect(got.length, sub.id).toBe(expected.length);
        for (const [i, message] of got.entries()) {
          const event = expected[i]!;
          expect(message.payload.errors, sub.id).toBeUndefined();
          if (sub.query === ALIASED) {
            expect(message.payload.data, sub.id).toEqual({ ev: { key: event.id, level: event.logLevel } });
          } else if (sub.query === FULL) {
            expect(message.payload.data, sub.id).toEqual({
              eventLogged: {
                id: event.id,
                eventType: event.eventType,
                logLevel: event.logLevel,
                source: { nodeId: event.nodeId },
              },
            });
          } else {
            expect(message.payload.data, sub.id).toEqual({ eventLogged: { id: event.id } });
          }
        }
      }
      // Nothing went to an id the socket did not subscribe with.
      for (const socket of [a, b]) {
        const ids = new Set(subs.filter((s) => s.socket === socket).map((s) => s.id));
        expect(socket.messages.filter((m) => m.id !== undefined && !ids.has(m.id))).toEqual([]);
      }

      // A field-level error: a stored event whose level the schema cannot represent (a writer
      // other than this server), published live. Operations selecting the level get the error
      // (path through the aliases, data null), the others the event; every subscription goes on.
      const [stored] = await server.handle.services.events.findByIds([logged[0]!]);
      const odd = { ...stored!, _id: `${stored!._id.slice(0, -4)}ODD1`, event_type: 'node_start', log_level: 25 };
      odd.source = { node_id: NODES[1]! };
      server.handle.services.live.publish([odd]);
      const after = await logOne({ eventType: 'NODE_START', logLevel: 'ERROR', source: { nodeId: NODES[1]! } });
      const lastIs = (sub: (typeof subs)[number], id: string) =>
        vi.waitFor(() => expect(JSON.stringify(nexts(sub).at(-1)?.payload.data ?? null)).toContain(id), {
          timeout: 20_000,
          interval: 20,
        });
      for (const sub of subs) await lastIs(sub, after);
      for (const sub of subs.filter((s) => s.query === ALIASED)) {
        const failed = nexts(sub).at(-2)!;
        expect(failed.payload.data, sub.id).toBeNull();
        expect(failed.payload.errors, sub.id).toHaveLength(1);
        expect(failed.payload.errors![0], sub.id).toMatchObject({
          path: ['ev', 'level'],
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        });
        expect(
          sub.socket.messages.filter((m) => m.id === sub.id && m.type !== 'next'),
          sub.id,
        ).toEqual([]);
      }
      expect(nexts(subs[6]!).at(-2)!.payload).toEqual({ data: { eventLogged: { id: odd._id } } });
      for (const sub of subs.filter((s) => s.query !== ALIASED && s.id !== 'a-node-ids')) {
        expect(JSON.stringify(nexts(sub)), sub.id).not.toContain(odd._id);
      }
      expect(live().subscribers).toBe(subs.length);
    } finally {
      a.close();
      b.close();
    }
  });

  it('alertRaised delivers events flagged as alerts or at ERROR and above', async () => {
    const client = open();
    const alerts = subscribe(client, AlertRaisedDocument, {}, (d) => d.alertRaised);
    await subscribersAre(1);
    const cases: [EventInput, boolean][] = [
      [{ logLevel: 'INFO' }, false],
      [{ logLevel: 'WARNING', alert: true }, true],
      [{ logLevel: 'ERROR', eventType: 'NODE_ERROR' }, true],
      [{ logLevel: 'DEBUG' }, false],
      [{ logLevel: 'WARNING' }, false],
      [{ logLevel: 'INFO', alert: true }, true],
      [{ logLevel: 'CRITICAL', eventType: 'WORKFLOW_ABORT' }, true],
    ];
    const expected: string[] = [];
    for (const [input, isAlert] of cases) {
      const id = await logOne(input);
      if (isAlert) expected.push(id);
    }
    await alerts.until((r) => r.values.at(-1)?.id === expected.at(-1), 'the last alert');
    expect(alerts.values.map((e) => e.id)).toEqual(expected);
    expect(alerts.values[1]).toMatchObject({ eventType: 'NODE_ERROR', logLevel: 'ERROR', alert: false });
  });

  it('refuses an unknown `after` id and an over-deep filter with BAD_USER_INPUT', async () => {
    const client = open();
    const unknown = subscribe(
      client,
      EventLoggedIdsDocument,
      { after: '01JZZZZZZZZZZZZZZZZZZZZZZZ' },
      (d) => d.eventLogged.id,
    );
    let deep: EventFilter = { minLevel: 'INFO' };
    for (let i = 0; i < 12; i++) deep = { and: [deep] };
    const tooDeep = subscribe(client, EventLoggedIdsDocument, { filter: deep }, (d) => d.eventLogged.id);
    await unknown.untilEnded();
    await tooDeep.untilEnded();
    expect(unknown.errors[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    expect(tooDeep.errors[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(unknown.values).toEqual([]);
  });

  it('releases a subscription when the client completes it or the socket closes', async () => {
    const a = open();
    const b = open();
    for (let i = 0; i < 3; i++) subscribe(a, EventLoggedIdsDocument, {}, (d) => d.eventLogged.id);
    const completed = subscribe(b, EventLoggedIdsDocument, {}, (d) => d.eventLogged.id);
    const kept = subscribe(b, AlertRaisedDocument, {}, (d) => d.alertRaised.id);
    await subscribersAre(5);
    expect(live().busListeners).toBe(5);

    await a.dispose();
    await subscribersAre(2);
    completed.unsubscribe();
    await subscribersAre(1);
    expect(live().busListeners).toBe(1);

    // The one left still works.
    const id = await logOne({ logLevel: 'CRITICAL' });
    await kept.untilCount(1);
    expect(kept.values).toEqual([id]);
  });
});
