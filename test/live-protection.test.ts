import type { Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  EventLoggedIdsDocument,
  EventsConnectionDocument,
  LogEventDocument,
  LogEventIdsDocument,
  LogEventsDocument,
  type EventFilter,
  type EventInput,
} from './generated/graphql';
import { NODES } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';
import { liveClient, RawLiveSocket, subscribe, type WireMessage } from './support/ws-client';

/*
 * Protection of the live endpoint, and fan-out at scale. SQLite only: these tests move tens of
 * megabytes and hundreds of thousands of messages, which the MongoDB test server (FerretDB) is too
 * slow for; nothing here depends on the store.
 */

const blob = (bytes: number) => 'x'.repeat(bytes);
const bigEvents = (count: number, bytes: number, tag: string): EventInput[] =>
  Array.from({ length: count }, (_, i) => ({ eventType: 'DATA_STORE', eventData: { tag, i, blob: blob(bytes) } }));

async function logMany(server: TestServer, events: EventInput[]): Promise<string[]> {
  return (await server.ok(LogEventsDocument, { events })).logEvents.events.map((e) => e.id);
}

const waitFor = (check: () => void) => vi.waitFor(check, { timeout: 30_000, interval: 10 });

describe('live endpoint protection (sqlite)', () => {
  let server: TestServer;
  const clients: Client[] = [];
  const sockets: RawLiveSocket[] = [];
  const stats = () => server.handle.services.live.stats();

  beforeAll(async () => {
    // Short, but not so short that a busy test machine's event-loop pauses trip them.
    server = await startTestServer('sqlite', {
      MAX_SUBSCRIPTIONS_PER_CONNECTION: '3',
      WS_CONNECTION_INIT_TIMEOUT_MS: '1000',
      WS_KEEPALIVE_MS: '1000',
    });
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.dispose();
    for (const socket of sockets.splice(0)) socket.close();
    await waitFor(() => expect(stats().subscribers).toBe(0));
  });
  afterAll(async () => server?.stop());

  it('refuses a subscription beyond the per-connection cap, and accepts one again after another ends', async () => {
    const client = liveClient(server.url);
    clients.push(client);
    const held = [0, 1, 2].map(() => subscribe(client, EventLoggedIdsDocument, {}, (d) => d.eventLogged.id));
    const refused = subscribe(client, EventLoggedIdsDocument, {}, (d) => d.eventLogged.id);
    await refused.untilEnded();
    expect(refused.errors[0]?.extensions).toMatchObject({ code: 'TOO_MANY_SUBSCRIPTIONS' });
    await waitFor(() => expect(stats().subscribers).toBe(3));

    held[0]!.unsubscribe();
    await waitFor(() => expect(stats().subscribers).toBe(2));
    const again = subscribe(client, EventLoggedIdsDocument, {}, (d) => d.eventLogged.id);
    await waitFor(() => expect(stats().subscribers).toBe(3));
    const { logEvents } = await server.ok(LogEventIdsDocument, { events: [{ eventType: 'TEST' }] });
    expect(logEvents.insertedCount).toBe(1);
    await again.untilCount(1);
    expect(again.errors).toEqual([]);
  });

  it('closes a socket that does not send connection_init in time (4408)', async () => {
    const silent = new RawLiveSocket(server.url);
    sockets.push(silent);
    await silent.opened();
    expect(await silent.closed).toBe(4408);
  });

  it('terminates a socket that stops answering pings, and keeps one that answers', async () => {
    const mute = new RawLiveSocket(server.url, { autoPong: false });
    const healthy = new RawLiveSocket(server.url);
    sockets.push(mute, healthy);
    await Promise.all([mute.init(), healthy.init()]);
    mute.subscribe('1', 'subscription { eventLogged { id } }');
    await waitFor(() => expect(stats().subscribers).toBe(1));
    let pings = 0;
    const threePings = new Promise<void>((resolve) =>
      healthy.socket.on('ping', () => {
        if (++pings === 3) resolve();
      }),
    );
    // Terminated: no close frame, so the code is 1006; its subscription is released with it.
    expect(await mute.closed).toBe(1006);
    await waitFor(() => expect(stats().subscribers).toBe(0));
    await threePings;
    expect(healthy.socket.readyState).toBe(healthy.socket.OPEN);
  });
});

describe('slow consumers (sqlite)', () => {
  const BUFFER = 100;
  let server: TestServer;
  const sockets: RawLiveSocket[] = [];
  const stats = () => server.handle.services.live.stats();

  beforeAll(async () => {
    // No keep-alive here: a socket that does not read would otherwise be terminated for not
    // answering pings before its buffer bound is reached.
    server = await startTestServer('sqlite', { SUBSCRIBER_BUFFER: String(BUFFER), WS_KEEPALIVE_MS: '0' });
  });
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.close();
    await waitFor(() => expect(stats().subscribers).toBe(0));
  });
  afterAll(async () => server?.stop());

  it('cuts off a consumer that stopped reading, with SLOW_CONSUMER, while the server holds at most the bound', async () => {
    const stalled = new RawLiveSocket(server.url);
    sockets.push(stalled);
    await stalled.init();
    stalled.subscribe('s', 'subscription { eventLogged { id eventData } }');
    await waitFor(() => expect(stats().subscribers).toBe(1));
    stalled.socket.pause();

    // 1.6 MB per batch: the socket buffers fill, then the subscriber's queue, then it is cut.
    // It holds at most the bound plus one batch.
    const BATCH = 50;
    let batches = 0;
    let logged = 0;
    while (stats().slowConsumersEnded === 0) {
      expect(batches, 'the stalled consumer should have been cut off by now').toBeLessThan(100);
      logged += (await logMany(server, bigEvents(BATCH, 32_000, 'stall'))).length;
      batches += 1;
      await new Promise((resolve) => setImmediate(resolve));
      expect(stats().queuedEvents).toBeLessThanOrEqual(BUFFER + BATCH);
    }
    expect(stats().peakQueuedEvents).toBeLessThanOrEqual(BUFFER + BATCH);
    // Cut off: nothing of it is left listening or queued, however much more is logged.
    expect(stats().subscribers).toBe(0);
    expect(stats().busListeners).toBe(0);
    for (let i = 0; i < 5; i++) logged += (await logMany(server, bigEvents(BATCH, 32_000, 'after'))).length;
    expect(stats().queuedEvents).toBe(0);

    // Once it reads again it gets what was already on the wire, then the reason it was ended.
    stalled.socket.resume();
    const ended = await stalled.next((m) => m.id === 's' && m.type !== 'next');
    expect(ended.type).toBe('error');
    expect((ended.payload as { extensions?: { code?: string } }[])[0]?.extensions?.code).toBe('SLOW_CONSUMER');
    const delivered = stalled.messages.filter((m) => m.id === 's' && m.type === 'next').length;
    expect(delivered).toBeGreaterThan(0);
    expect(delivered).toBeLessThan(logged);
  });

  it('holds live events that arrive while a replay is stalled, and hands each out once, in receipt order', async () => {
    const anchor = (await logMany(server, [{ eventType: 'TEST', eventData: { tag: 'anchor' } }]))[0]!;
    // 32 MB of backlog: far more than socket buffers hold, so the replay cannot finish unread.
    const backlog: string[] = [];
    for (let b = 0; b < 8; b++) backlog.push(...(await logMany(server, bigEvents(250, 16_000, 'backlog'))));

    const resumed = new RawLiveSocket(server.url);
    sockets.push(resumed);
    await resumed.init();
    resumed.socket.pause();
    resumed.subscribe('r', 'subscription ($after: String) { eventLogged(after: $after) { id eventData } }', {
      after: anchor,
    });
    await waitFor(() => expect(stats().replaying).toBe(1));

    // Logged while the replay is stalled mid-way: held (not delivered, not lost).
    const during: string[] = [];
    for (let b = 0; b < 5; b++) during.push(...(await logMany(server, bigEvents(10, 10, 'during'))));
    await waitFor(() => expect(stats().queuedEvents).toBe(during.length));
    expect(stats().replaying).toBe(1);

    // Reading again: the replay reaches the held events too (they are stored by now); each comes once.
    resumed.socket.resume();
    const last = during.at(-1)!;
    await resumed.next(
      (m) =>
        m.id === 'r' &&
        (m.type !== 'next' || (m.payload as { data: { eventLogged: { id: string } } }).data.eventLogged.id === last),
    );
    const ids = resumed.messages
      .filter(
        (m): m is WireMessage & { payload: { data: { eventLogged: { id: string } } } } =>
          m.id === 'r' && m.type === 'next',
      )
      .map((m) => m.payload.data.eventLogged.id);
    expect(ids.length).toBe(backlog.length + during.length);
    expect(ids).toEqual([...backlog, ...during]);
    expect(stats().replaying).toBe(0);
  });
});

describe('fan-out (sqlite)', () => {
  let server: TestServer;
  const clients: Client[] = [];

  beforeAll(async () => {
    server = await startTestServer('sqlite');
  });
  afterAll(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
    await server?.stop();
  });

  it('delivers every event of a 1 000-event burst to each of 200 concurrent subscribers, in order', async () => {
    const SUBSCRIBERS = 200;
    const received = Array.from({ length: SUBSCRIBERS }, () => {
      const client = liveClient(server.url);
      clients.push(client);
      return subscribe(client, EventLoggedIdsDocument, {}, (d) => d.eventLogged.id);
    });
    await waitFor(() => expect(server.handle.services.live.stats().subscribers).toBe(SUBSCRIBERS));

    const ids = await logMany(
      server,
      Array.from({ length: 1000 }, (_, i) => ({ eventType: 'LOG_INFO', eventData: { message: `burst ${i}` } })),
    );
    await Promise.all(received.map((r) => r.untilCount(ids.length, 120_000)));
    for (const r of received) {
      expect(r.errors).toEqual([]);
      expect(r.values).toEqual(ids);
    }
    expect(server.handle.services.live.stats().slowConsumersEnded).toBe(0);
  }, 180_000);

  it('writes many events of one moment to sockets with different filters: each subscription gets exactly its events, in order, once', async () => {
    // Frames for one socket are held and leave together (src/app/ws/paced-writes.ts): batches and
    // single events logged at once reach six sockets, two subscriptions each, in the same turns.
    const tag = `paced-${Date.now()}`;
    const LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR'] as const;
    const TYPES = ['LOG_INFO', 'NODE_START', 'NODE_ERROR', 'WORKFLOW_COMPLETE'] as const;
    const event = (i: number): EventInput => ({
      eventType: TYPES[i % TYPES.length],
      logLevel: LEVELS[Math.floor(i / 4) % LEVELS.length],
      source: { nodeId: NODES[i % NODES.length] },
      eventData: { tag, i, message: i % 5 === 0 ? 'pump jammed' : 'arm moved' },
    });
    // Logged last; every filter below lets it through, so its arrival closes each stream.
    const END: EventInput = { eventType: 'TEST', eventData: { tag, end: true } };
    const filters: EventFilter[] = [
      {},
      { minLevel: 'WARNING' },
      { eventTypes: ['NODE_ERROR', 'NODE_START'] },
      { source: { nodeId: [NODES[0]!] } },
      { text: 'jammed' },
      { levels: ['DEBUG'] },
      { and: [{ minLevel: 'INFO' }, { source: { nodeId: [NODES[1]!, NODES[2]!] } }] },
      { eventTypes: ['WORKFLOW_COMPLETE'] },
      { levels: ['ERROR'] },
      { or: [{ text: 'arm' }, { levels: ['ERROR'] }] },
      { source: { nodeId: [NODES[2]!] } },
      { minLevel: 'ERROR' },
    ];
    const QUERY = 'subscription($f: EventFilter) { eventLogged(filter: $f) { id } }';
    const sockets = Array.from({ length: 6 }, () => new RawLiveSocket(server.url));
    try {
      await Promise.all(sockets.map((socket) => socket.init()));
      const subs = filters.map((filter, n) => ({
        socket: sockets[n % sockets.length]!,
        id: `s${n}`,
        filter: {
          or: [{ and: [filter, { text: tag }] }, { and: [{ eventTypes: ['TEST'] }, { text: tag }] }],
        } as EventFilter,
        own: filter,
      }));
      // The burst test's subscribers are still open (they end with the file).
      const before = server.handle.services.live.stats().subscribers;
      for (const sub of subs) sub.socket.subscribe(sub.id, QUERY, { f: sub.filter });
      await waitFor(() => expect(server.handle.services.live.stats().subscribers).toBe(before + subs.length));

      // Two big batches and forty single events at once, then the end marker.
      let n = 0;
      const batch = () =>
        logMany(
          server,
          Array.from({ length: 300 }, () => event(n++)),
        );
      const single = (i: number) => server.ok(LogEventDocument, { event: event(i) });
      await Promise.all([batch(), ...Array.from({ length: 40 }, (_, i) => single(10_000 + i)), batch()]);
      const [end] = await logMany(server, [END]);

      const received = (sub: (typeof subs)[number]) =>
        sub.socket.messages
          .filter((m) => m.id === sub.id)
          .map((m) =>
            m.type === 'next' ? (m.payload as { data: { eventLogged: { id: string } } }).data.eventLogged.id : m.type,
          );
      for (const sub of subs) await waitFor(() => expect(received(sub).at(-1), sub.id).toBe(end));
      // The unfiltered subscription tells the order the server received the events in.
      const order = received(subs[0]!).slice(0, -1);
      expect(order.length).toBe(640);
      expect(new Set(order).size).toBe(order.length);
      for (const sub of subs) {
        const { events } = await server.ok(EventsConnectionDocument, {
          filter: { and: [sub.own, { text: tag }] },
          first: 1000,
        });
        const selected = new Set(events.nodes.map((node) => node.id));
        expect(selected.size, `${sub.id} selects some events`).toBeGreaterThan(1);
        const got = received(sub);
        expect(got.slice(0, -1), sub.id).toEqual(order.filter((id) => selected.has(id)));
      }
      expect(server.handle.services.live.stats().slowConsumersEnded).toBe(0);
    } finally {
      for (const socket of sockets) socket.close();
    }
  }, 120_000);
});
