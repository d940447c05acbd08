import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCollector, hasGo, startCollector, type Collector, type ReceivedSpan } from './support/otel-collector';
import { startServerProcess, type ServerProcess } from './support/server-process';

/*
 * Traces out (docs/opentelemetry.md#trace-the-server): the server as its own process with the
 * standard OTEL_* variables, a real OpenTelemetry Collector (built from the Go module proxy)
 * receiving its spans over OTLP/HTTP and OTLP/gRPC.
 */

const ROOT = path.resolve(__dirname, '..');
const go = hasGo();
if (!go) {
  console.warn('\n!!  SKIPPED: the tracing tests build an OpenTelemetry Collector with Go; no `go` on PATH.\n');
}

const LOG_EVENTS = `mutation($events: [EventInput!]!) { logEvents(events: $events) { events { id traceId spanId } } }`;

/** POSTs a GraphQL operation with extra headers. */
async function graphql(url: string, query: string, variables: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  // The shapes asked for below; a wrong answer fails the test at the property read.
  type Data = {
    logEvents: { events: { id: string; traceId: string; spanId: string }[] };
    health: { telemetry: unknown };
  };
  return { status: response.status, body: (await response.json()) as { data: Data; errors?: unknown[] } };
}

/** Waits until the collector holds spans of `traceId` satisfying `done`. */
async function spansOf(collector: Collector, traceId: string, done: (spans: ReceivedSpan[]) => boolean) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const spans = collector.spans().filter((span) => span.traceId === traceId);
    if (done(spans)) return spans;
    if (Date.now() > deadline)
      throw new Error(`spans of ${traceId} so far: ${JSON.stringify(spans.map((s) => s.name))}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const hasChain = (spans: ReceivedSpan[]) =>
  spans.some((span) => span.kind === 2 && span.name.startsWith('POST')) &&
  spans.some((span) => span.name.startsWith('graphql') || span.name.includes('logEvents')) &&
  spans.some((span) => span.name === 'sqlite insertMany');

describe.skipIf(!go)('traces out to a real OpenTelemetry Collector', () => {
  let collector: Collector;
  let binary: string;
  const servers: ServerProcess[] = [];
  const dirs: string[] = [];

  async function start(env: Record<string, string>): Promise<ServerProcess> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-events-otel-'));
    dirs.push(dir);
    const server = await startServerProcess({ DATA_DIR: dir, OTEL_BSP_SCHEDULE_DELAY: '50', ...env });
    servers.push(server);
    return server;
  }

  beforeAll(async () => {
    binary = await ensureCollector();
    collector = await startCollector(binary);
  }, 45 * 60_000);

  afterAll(async () => {
    for (const server of servers) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    await collector?.stop();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('OTLP/HTTP (OTEL_TRACES_EXPORTER=otlp)', () => {
    let server: ServerProcess;
    beforeAll(async () => {
      server = await start({
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.httpEndpoint,
        OTEL_SERVICE_NAME: 'lab-events-under-test',
      });
    }, 120_000);

    it('reports what is configured on /health (REST) and health (GraphQL)', async () => {
      const rest = (await (await fetch(`${server.url}/health`)).json()) as Record<string, unknown>;
      expect(rest).toMatchObject({
        otel_enabled: true,
        otel_exporter_type: 'otlp',
        otel_endpoint: collector.httpEndpoint,
      });
      const gql = await graphql(server.url, '{ health { telemetry { enabled exporterType endpoint } } }', {});
      expect(gql.body.data.health.telemetry).toEqual({
        enabled: true,
        exporterType: 'otlp',
        endpoint: collector.httpEndpoint,
      });
    });

    it('one logEvents call is one trace: HTTP -> GraphQL -> store, and its event carries the trace', async () => {
      const answer = await graphql(server.url, LOG_EVENTS, { events: [{ eventData: { message: 'traced' } }] });
      expect(answer.status).toBe(200);
      const event = answer.body.data.logEvents.events[0]!;
      expect(event.traceId).toMatch(/^[0-9a-f]{32}$/);
      const spans = await spansOf(collector, event.traceId, hasChain);
      expect(new Set(spans.map((span) => span.serviceName))).toEqual(new Set(['lab-events-under-test']));
      // The event's span is one of the request's spans.
      expect(spans.map((span) => span.spanId)).toContain(event.spanId);
      const store = spans.find((span) => span.name === 'sqlite insertMany')!;
      expect(store.attributes).toMatchObject({ 'db.system.name': 'sqlite', 'db.operation.name': 'insertMany' });
      // The store span descends from the HTTP server span.
      const byId = new Map(spans.map((span) => [span.spanId, span]));
      let span: ReceivedSpan | undefined = store;
      const chain: string[] = [];
      while (span) {
        chain.push(span.name);
        span = byId.get(span.parentSpanId);
      }
      expect(chain.at(-1)).toMatch(/^POST/);
    });

    it("continues a caller's W3C traceparent", async () => {
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const parent = '00f067aa0ba902b7';
      const answer = await graphql(
        server.url,
        LOG_EVENTS,
        { events: [{ eventData: { message: 'continued' } }] },
        {
          traceparent: `00-${traceId}-${parent}-01`,
        },
      );
      expect(answer.body.data.logEvents.events[0]!.traceId).toBe(traceId);
      const spans = await spansOf(collector, traceId, hasChain);
      const root = spans.find((span) => span.kind === 2)!;
      expect(root.parentSpanId).toBe(parent);
    });

    it('an event that brings its own trace context keeps it', async () => {
      const own = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) };
      const answer = await graphql(server.url, LOG_EVENTS, { events: [{ ...own, eventData: { message: 'own' } }] });
      expect(answer.body.data.logEvents.events[0]).toMatchObject(own);
    });
  });

  it('exports over OTLP/gRPC with MADSci-style names (OTEL_ENABLED, OTEL_EXPORTER, OTEL_ENDPOINT, OTEL_PROTOCOL)', async () => {
    const server = await start({
      OTEL_ENABLED: 'true',
      OTEL_EXPORTER: 'otlp',
      OTEL_ENDPOINT: collector.grpcEndpoint,
      OTEL_PROTOCOL: 'grpc',
      OTEL_SERVICE_NAME: 'lab-events-grpc',
    });
    const rest = (await (await fetch(`${server.url}/health`)).json()) as Record<string, unknown>;
    expect(rest).toMatchObject({
      otel_enabled: true,
      otel_exporter_type: 'otlp',
      otel_endpoint: collector.grpcEndpoint,
    });
    const answer = await graphql(server.url, LOG_EVENTS, { events: [{ eventData: { message: 'over grpc' } }] });
    const spans = await spansOf(collector, answer.body.data.logEvents.events[0]!.traceId, hasChain);
    expect(spans.every((span) => span.serviceName === 'lab-events-grpc')).toBe(true);
  }, 120_000);
});

describe('tracing off (nothing set)', () => {
  it('the preload loads no OpenTelemetry SDK, and /health reports null as MADSci does', async () => {
    const probe = (env: Record<string, string>) =>
      spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          '-e',
          "require('./src/app/telemetry/preload'); console.log(Object.keys(require.cache).filter((f) => f.includes('@opentelemetry/sdk-node')).length)",
        ],
        { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } },
      );
    const off = probe({});
    expect(off.status).toBe(0);
    expect(off.stdout.trim()).toBe('0');
    // The same probe sees the SDK when tracing is on, so it can tell.
    const on = probe({ OTEL_TRACES_EXPORTER: 'console' });
    expect(on.stdout.trim().split('\n').at(-1)).not.toBe('0');

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-events-otel-off-'));
    const server = await startServerProcess({ DATA_DIR: dir });
    try {
      const rest = (await (await fetch(`${server.url}/health`)).json()) as Record<string, unknown>;
      expect(rest).toMatchObject({ otel_enabled: null, otel_exporter_type: null, otel_endpoint: null });
      const answer = await graphql(server.url, LOG_EVENTS, { events: [{ eventData: { message: 'untraced' } }] });
      expect(answer.body.data.logEvents.events[0]).toMatchObject({ traceId: null, spanId: null });
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
