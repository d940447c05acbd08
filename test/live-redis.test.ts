import type { Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  EventLoggedDocument,
  EventLoggedIdsDocument,
  LogEventDocument,
  LogEventsDocument,
  type EventInput,
} from './generated/graphql';
import { NODES } from './support/fixtures';
import { startRedis, type RedisHandle } from './support/redis';
import { startTestServer, type TestServer } from './support/server';
import { liveClient, subscribe } from './support/ws-client';

const T0 = Date.UTC(2025, 0, 6, 8, 0, 0);
const iso = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

/** Two server instances on one MongoDB database, fanning live events out through one Redis. */
describe('live events across instances (MongoDB + Redis)', () => {
  let redis: RedisHandle;
  let a: TestServer;
  let b: TestServer;
  const clients: Client[] = [];
  const open = (server: TestServer) => {
    const client = liveClient(server.url);
    clients.push(client);
    return client;
  };
  const subscribersOn = (server: TestServer, count: number) =>
    vi.waitFor(() => expect(server.handle.services.live.stats().subscribers).toBe(count), {
      timeout: 20_000,
      interval: 10,
    });

  async function logOn(server: TestServer, event: EventInput): Promise<string> {
    return (await server.ok(LogEventDocument, { event })).logEvent.id;
  }

  beforeAll(async () => {
    redis = await startRedis();
    a = await startTestServer('mongodb', { REDIS_URL: redis.url });
    // A small buffer on B: a big batch from A must arrive there whole, as one batch.
    b = await startTestServer('mongodb', {
      REDIS_URL: redis.url,
      MONGODB_DATABASE: a.handle.services.config.mongo!.database,
      SUBSCRIBER_BUFFER: '200',
    });
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.dispose();
    await subscribersOn(a, 0);
    await subscribersOn(b, 0);
  });
  afterAll(async () => {
    // B shares A's database; A's cleanup drops it.
    await b?.stop();
    await a?.stop();
    await redis?.stop();
  });

  it('delivers an event logged on one instance to matching subscribers on the other, dates and text intact', async () => {
    const filter = { minLevel: 'WARNING' as const, from: iso(10), text: 'jam' };
    const onB = subscribe(open(b), EventLoggedDocument, { filter }, (d) => d.eventLogged);
    const onA = subscribe(open(a), EventLoggedDocument, { filter }, (d) => d.eventLogged);
    await subscribersOn(a, 1);
    await subscribersOn(b, 1);

    const skipped = [
      await logOn(a, { logLevel: 'INFO', eventTimestamp: iso(20), eventData: { message: 'jam' } }),
      await logOn(a, { logLevel: 'ERROR', eventTimestamp: iso(5), eventData: { message: 'jam' } }),
      await logOn(b, { logLevel: 'ERROR', eventTimestamp: iso(20), eventData: { message: 'all good' } }),
    ];
    const fromA = await logOn(a, {
      eventType: 'NODE_ERROR',
      logLevel: 'ERROR',
      eventTimestamp: iso(20),
      source: { nodeId: NODES[0] },
      eventData: { message: 'Pump JAMMED' },
    });
    const fromB = await logOn(b, {
      logLevel: 'CRITICAL',
      eventTimestamp: iso(30),
      eventData: { message: 'jam again' },
    });

    for (const received of [onA, onB]) {
      await received.until((r) => r.values.some((e) => e.id === fromB), 'the event logged on B');
      expect(received.errors).toEqual([]);
      expect(received.values.map((e) => e.id)).toEqual([fromA, fromB]);
      expect(received.values.map((e) => e.id)).not.toEqual(expect.arrayContaining(skipped));
    }
    // What crossed Redis is the whole event, with real instants.
    const crossed = onB.values[0]!;
    expect(crossed).toMatchObject({
      id: fromA,
      eventType: 'NODE_ERROR',
      logLevel: 'ERROR',
      eventTimestamp: iso(20),
      source: { nodeId: NODES[0] },
      eventData: { message: 'Pump JAMMED' },
    });
    expect(Date.parse(crossed.receivedAt)).toBeGreaterThan(T0);
  });

  it('carries a batch too big for one Redis message whole and in order', async () => {
    const onB = subscribe(open(b), EventLoggedIdsDocument, {}, (d) => d.eventLogged.id);
    await subscribersOn(b, 1);
    // About 1.5 MB: several Redis messages, more events than B's subscriber buffer.
    const events: EventInput[] = Array.from({ length: 600 }, (_, i) => ({
      eventType: 'DATA_STORE',
      eventData: { i, blob: 'y'.repeat(2500) },
    }));
    const ids = (await a.ok(LogEventsDocument, { events })).logEvents.events.map((e) => e.id);
    await onB.untilCount(ids.length);
    expect(onB.errors).toEqual([]);
    expect(onB.values).toEqual(ids);
    expect(b.handle.services.live.stats().slowConsumersEnded).toBe(0);
  });

  it('resumes on one instance after events logged on the other while it was away', async () => {
    const first = open(b);
    const session = subscribe(first, EventLoggedIdsDocument, {}, (d) => d.eventLogged.id);
    await subscribersOn(b, 1);
    const seen = await logOn(a, { eventData: { message: 'seen' } });
    await session.untilCount(1);
    await first.dispose();
    await subscribersOn(b, 0);

    const missed = [
      await logOn(a, { eventData: { message: 'missed 1' } }),
      await logOn(a, { eventTimestamp: '2020-01-01T00:00:00Z', eventData: { message: 'late' } }),
    ];
    const resumed = subscribe(open(b), EventLoggedIdsDocument, { after: seen }, (d) => d.eventLogged.id);
    await subscribersOn(b, 1);
    const next = await logOn(a, { eventData: { message: 'live again' } });
    await resumed.until((r) => r.values.includes(next), 'the live event');
    expect(resumed.values).toEqual([...missed, next]);
  });
});
