import type { Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  EventLoggedIdsDocument,
  EventsCountDocument,
  LogEventDocument,
  LogEventsDocument,
  type EventInput,
} from './generated/graphql';
import { NODES } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';
import { STORE_KINDS } from './support/stores';
import { liveClient, subscribe } from './support/ws-client';

/** One sample of the Prometheus text format. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Metric and label names, label values with escapes, a float value (Go's ParseFloat: NaN and Inf in any case), an optional timestamp. */
const SAMPLE_LINE =
  /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*)\})? ([-+]?(?:[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|[Nn][Aa][Nn]|[Ii][Nn][Ff]))(?: -?[0-9]+)?$/;
const COMMENT_LINE =
  /^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped))$/;

/**
 * Parses Prometheus text exposition format 0.0.4, strictly: every line must be a HELP or TYPE
 * comment or a well-formed sample, and every sample must belong to a declared metric.
 */
function parsePrometheus(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      if (!COMMENT_LINE.test(line)) throw new Error(`Malformed comment line: ${line}`);
      const [, kind, name, type] = line.split(' ');
      if (kind === 'TYPE') types.set(name!, type!);
      continue;
    }
    const match = SAMPLE_LINE.exec(line);
    if (!match) throw new Error(`Malformed sample line: ${line}`);
    const [, name, labelText, value] = match;
    const labels: Record<string, string> = {};
    for (const pair of (labelText ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"/g))
      labels[pair[1]!] = pair[2]!.replace(/\\(.)/g, '$1');
    const family = name!.replace(/_(bucket|sum|count|total|created)$/, '');
    if (!types.has(name!) && !types.has(family)) throw new Error(`Sample of an undeclared metric: ${line}`);
    samples.push({ name: name!, labels, value: Number(value) });
  }
  return { samples, types };
}

/** A scrape, with a lookup of one series' value (0 when the series does not exist yet). */
interface Scrape {
  types: Map<string, string>;
  value(name: string, labels?: Record<string, string>): number;
}

async function scrape(server: TestServer): Promise<Scrape> {
  const response = await fetch(`${server.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const { samples, types } = parsePrometheus(await response.text());
  return {
    types,
    value: (name, labels = {}) =>
      samples
        .filter((s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value))
        .reduce((sum, s) => sum + s.value, 0),
  };
}

const event = (i: number, level: EventInput['logLevel'] = 'INFO'): EventInput => ({
  eventType: 'NODE_START',
  logLevel: level,
  source: { nodeId: NODES[i % NODES.length] },
  eventData: { message: `metrics ${i}` },
});

describe.each(STORE_KINDS)('GET /metrics on %s', (kind) => {
  let server: TestServer;
  const clients: Client[] = [];

  beforeAll(async () => {
    server = await startTestServer(kind);
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.dispose();
  });
  afterAll(async () => server?.stop());

  it('serves Prometheus text with the server metrics declared and the process metrics beside them', async () => {
    const metrics = await scrape(server);
    expect(metrics.types.get('lab_events_graphql_requests_total')).toBe('counter');
    expect(metrics.types.get('lab_events_graphql_request_duration_seconds')).toBe('histogram');
    expect(metrics.types.get('lab_events_graphql_errors_total')).toBe('counter');
    expect(metrics.types.get('lab_events_events_ingested_total')).toBe('counter');
    expect(metrics.types.get('lab_events_ws_connections')).toBe('gauge');
    expect(metrics.types.get('lab_events_subscriptions_active')).toBe('gauge');
    expect(metrics.types.get('lab_events_subscribers_dropped_total')).toBe('counter');
    expect(metrics.types.get('lab_events_retention_runs_total')).toBe('counter');
    expect(metrics.types.get('lab_events_backup_runs_total')).toBe('counter');
    expect(metrics.types.get('lab_events_db_operation_duration_seconds')).toBe('histogram');
    expect(metrics.types.get('process_cpu_seconds_total')).toBe('counter');
    // Each scrape pings the database.
    expect(metrics.value('lab_events_db_up', { engine: kind })).toBe(1);
  });

  it('counts operations per name and type, their latency, ingested events and store calls', async () => {
    const before = await scrape(server);
    await server.ok(LogEventDocument, { event: event(0) });
    await server.ok(LogEventsDocument, { events: [event(1), event(2), event(3)] });
    // A retry of a stored id is not a new event.
    const [first] = (
      await server.ok(LogEventsDocument, { events: [{ ...event(4), id: '01JGZ8Q5T3000000000000MET1' }] })
    ).logEvents.events;
    await server.ok(LogEventsDocument, { events: [{ ...event(4), id: first!.id }] });
    await server.ok(EventsCountDocument, { filter: { minLevel: 'INFO' } });
    const after = await scrape(server);

    const delta = (name: string, labels?: Record<string, string>) =>
      after.value(name, labels) - before.value(name, labels);
    expect(
      delta('lab_events_graphql_requests_total', { operation: 'LogEvent', type: 'mutation', transport: 'http' }),
    ).toBe(1);
    expect(
      delta('lab_events_graphql_requests_total', { operation: 'LogEvents', type: 'mutation', transport: 'http' }),
    ).toBe(3);
    expect(
      delta('lab_events_graphql_requests_total', { operation: 'EventsCount', type: 'query', transport: 'http' }),
    ).toBe(1);
    expect(
      delta('lab_events_graphql_request_duration_seconds_count', { operation: 'LogEvents', type: 'mutation' }),
    ).toBe(3);
    expect(delta('lab_events_graphql_request_duration_seconds_sum', { operation: 'LogEvents' })).toBeGreaterThan(0);
    expect(delta('lab_events_events_ingested_total')).toBe(5);
    expect(
      delta('lab_events_db_operation_duration_seconds_count', { engine: kind, operation: 'insertMany', outcome: 'ok' }),
    ).toBe(4);
    expect(
      delta('lab_events_db_operation_duration_seconds_count', { engine: kind, operation: 'count' }),
    ).toBeGreaterThanOrEqual(1);
    // The scrape in between pinged the database once.
    expect(delta('lab_events_db_operation_duration_seconds_count', { engine: kind, operation: 'ping' })).toBe(1);
  });

  it('counts errors by code, invalid documents included', async () => {
    const before = await scrape(server);
    const tooMany = await server.post(
      JSON.stringify({ query: 'query TooMany { events(first: 5000) { totalCount } }' }),
    );
    expect(((await tooMany.json()) as { errors: unknown[] }).errors).toHaveLength(1);
    await server.post(JSON.stringify({ query: 'query Nope { noSuchField }' }));
    await server.post(JSON.stringify({ query: '{ broken' }));
    const after = await scrape(server);
    const delta = (name: string, labels?: Record<string, string>) =>
      after.value(name, labels) - before.value(name, labels);
    expect(delta('lab_events_graphql_errors_total', { code: 'BAD_USER_INPUT', transport: 'http' })).toBe(1);
    expect(delta('lab_events_graphql_errors_total', { code: 'GRAPHQL_VALIDATION_FAILED', transport: 'http' })).toBe(1);
    expect(delta('lab_events_graphql_errors_total', { code: 'GRAPHQL_PARSE_FAILED', transport: 'http' })).toBe(1);
    expect(delta('lab_events_graphql_requests_total', { operation: 'TooMany', type: 'query' })).toBe(1);
    expect(delta('lab_events_graphql_requests_total', { operation: '__invalid' })).toBe(2);
  });

  it('counts retention runs', async () => {
    const before = await scrape(server);
    await server.handle.services.retention.runOnce();
    const after = await scrape(server);
    expect(
      after.value('lab_events_retention_runs_total', { outcome: 'success' }) -
        before.value('lab_events_retention_runs_total', { outcome: 'success' }),
    ).toBe(1);
  });

  it('tracks open WebSocket connections and running subscriptions, and counts what comes over them', async () => {
    const before = await scrape(server);
    const client = liveClient(server.url);
    clients.push(client);
    const received = subscribe(
      client,
      EventLoggedIdsDocument,
      { filter: { minLevel: 'ERROR' } },
      (data) => data.eventLogged.id,
    );
    await vi.waitFor(
      async () =>
        expect(
          (await scrape(server)).value('lab_events_subscriptions_active') -
            before.value('lab_events_subscriptions_active'),
        ).toBe(1),
      { timeout: 20_000, interval: 50 },
    );

    const during = await scrape(server);
    expect(during.value('lab_events_ws_connections') - before.value('lab_events_ws_connections')).toBe(1);
    expect(
      during.value('lab_events_graphql_requests_total', {
        operation: 'EventLoggedIds',
        type: 'subscription',
        transport: 'ws',
      }) -
        before.value('lab_events_graphql_requests_total', {
          operation: 'EventLoggedIds',
          type: 'subscription',
          transport: 'ws',
        }),
    ).toBe(1);

    const id = (await server.ok(LogEventDocument, { event: event(9, 'ERROR') })).logEvent.id;
    await received.until((r) => r.values.includes(id), 'the live event');

    // A refused subscription (an unknown `after` id) is an error with its code, counted for transport ws.
    const bad = subscribe(
      client,
      EventLoggedIdsDocument,
      { after: '01JZZZZZZZZZZZZZZZZZZZZZZZ' },
      (data) => data.eventLogged.id,
    );
    await bad.untilEnded();
    expect(bad.errors[0]?.extensions?.code).toBe('BAD_USER_INPUT');

    await client.dispose();
    clients.length = 0;
    await vi.waitFor(
      async () => {
        const after = await scrape(server);
        expect(after.value('lab_events_ws_connections')).toBe(before.value('lab_events_ws_connections'));
        expect(after.value('lab_events_subscriptions_active')).toBe(before.value('lab_events_subscriptions_active'));
      },
      { timeout: 20_000, interval: 50 },
    );
    const after = await scrape(server);
    expect(after.value('lab_events_ws_connections_total') - before.value('lab_events_ws_connections_total')).toBe(1);
    expect(after.value('lab_events_subscriptions_total') - before.value('lab_events_subscriptions_total')).toBe(1);
    expect(
      after.value('lab_events_graphql_errors_total', { code: 'BAD_USER_INPUT', transport: 'ws' }) -
        before.value('lab_events_graphql_errors_total', { code: 'BAD_USER_INPUT', transport: 'ws' }),
    ).toBe(1);
  });
});

describe('GET /metrics switched off', () => {
  it('is not served when METRICS_ENABLED=false', async () => {
    const server = await startTestServer('sqlite', { METRICS_ENABLED: 'false' });
    try {
      const response = await fetch(`${server.url}/metrics`);
      expect(response.status).toBe(404);
    } finally {
      await server.stop();
    }
  });
});
