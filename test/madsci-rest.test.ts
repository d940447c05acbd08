import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODES, USER, WORKCELL } from './support/fixtures';
import { rest, type RestResponse } from './support/rest';
import { startTestServer, type TestServer } from './support/server';
import { STORE_KINDS } from './support/stores';

/** MADSci's key order for an event on the wire (docs/madsci-compatibility.md#d18-events-on-the-wire). */
const EVENT_KEYS = [
  '_id',
  'event_type',
  'log_level',
  'alert',
  'event_timestamp',
  'source',
  'event_data',
  'trace_id',
  'span_id',
  'archived',
  'archived_at',
];
/** MADSci's naive timestamp text (docs/madsci-compatibility.md#d19-timestamp-text-on-the-wire): seconds, then microseconds only when not zero. */
const NAIVE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$/;

type WireEvent = Record<string, unknown>;

/** Ids of a list response, in the order the server wrote them. */
function orderedIds(response: RestResponse): string[] {
  return [...response.text.matchAll(/"((?:[^"\\]|\\.)*)":\{"_id"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string);
}

function expectEventShape(event: WireEvent): void {
  expect(Object.keys(event)).toEqual(EVENT_KEYS);
  expect(event.event_timestamp).toMatch(NAIVE);
}

function expectValidationError(
  response: RestResponse,
  locs: (string | number)[][],
): { type: string; loc: unknown[]; msg: string; input: unknown }[] {
  expect(response.status).toBe(422);
  const body = response.json as {
    detail: { type: string; loc: unknown[]; msg: string; input: unknown; ctx?: unknown }[];
  };
  expect(Object.keys(body)).toEqual(['detail']);
  expect(body.detail.map((d) => d.loc)).toEqual(locs);
  for (const entry of body.detail) {
    expect(Object.keys(entry).slice(0, 4)).toEqual(['type', 'loc', 'msg', 'input']);
    expect(typeof entry.type).toBe('string');
    expect(typeof entry.msg).toBe('string');
  }
  return body.detail;
}

describe.each(STORE_KINDS)('MADSci REST routes on %s', (kind) => {
  let server: TestServer;
  const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    rest(server.url, method, path, body, headers);

  beforeAll(async () => {
    server = await startTestServer(kind);
  });
  afterAll(async () => server?.stop());

  describe('POST /event', () => {
    it('accepts what the Python client sends (event_id, naive timestamp, null source members) and answers in MADSci wire shape', async () => {
      const sent = {
        event_id: '01JGZ8Q5T3000000000000EV01',
        event_type: 'NODE_START',
        log_level: 'WARNING',
        alert: false,
        event_timestamp: '2025-01-06T08:05:00.123456',
        source: {
          user_id: null,
          experiment_id: null,
          node_id: NODES[0]!.toLowerCase(),
          workcell_id: WORKCELL,
          manager_id: null,
        },
        event_data: { node_name: 'robot_arm', nested: { ok: true, list: [1, 'two'] } },
        trace_id: null,
        span_id: null,
        archived: false,
        archived_at: null,
        unknown_key: 'dropped',
      };
      const response = await call('POST', '/event', sent);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      const event = response.json as WireEvent;
      expectEventShape(event);
      expect(event).toEqual({
        _id: '01JGZ8Q5T3000000000000EV01',
        event_type: 'node_start',
        log_level: 30,
        alert: false,
        // Instants are kept to the millisecond; MADSci's naive text comes back.
        event_timestamp: '2025-01-06T08:05:00.123000',
        // Null members left out, ULIDs upper-cased, MADSci's member order.
        source: { node_id: NODES[0], workcell_id: WORKCELL },
        event_data: { node_name: 'robot_arm', nested: { ok: true, list: [1, 'two'] } },
        trace_id: null,
        span_id: null,
        archived: false,
        archived_at: null,
      });
      expect(Object.keys(event.source as object)).toEqual(['node_id', 'workcell_id']);
    });

    it('accepts _id, lower-case names, numeric levels, offsets and trace ids; GET /event/{id} returns the same event', async () => {
      const response = await call('POST', '/event', {
        _id: '01JGZ8Q5T3000000000000EV02',
        event_type: 'node_error',
        log_level: 40,
        alert: true,
        event_timestamp: '2025-01-06T10:05:00+02:00',
        source: { workflow_id: NODES[2], user_id: USER },
        event_data: 'a plain string payload',
        trace_id: 'a'.repeat(32),
        span_id: 'b'.repeat(16),
      });
      expect(response.status).toBe(200);
      const posted = response.json as WireEvent;
      expect(posted).toMatchObject({
        _id: '01JGZ8Q5T3000000000000EV02',
        event_type: 'node_error',
        log_level: 40,
        alert: true,
        event_timestamp: '2025-01-06T08:05:00',
        source: { user_id: USER, workflow_id: NODES[2] },
        event_data: 'a plain string payload',
        trace_id: 'a'.repeat(32),
        span_id: 'b'.repeat(16),
      });
      expect(Object.keys(posted.source as object)).toEqual(['user_id', 'workflow_id']);
      const read = await call('GET', '/event/01JGZ8Q5T3000000000000EV02');
      expect(read.status).toBe(200);
      expect(read.text).toBe(response.text);
    });

    it('fills MADSci defaults for an empty body', async () => {
      const before = Date.now();
      const response = await call('POST', '/event', {});
      expect(response.status).toBe(200);
      const event = response.json as WireEvent;
      expectEventShape(event);
      expect(event._id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(event).toMatchObject({
        event_type: 'unknown',
        log_level: 20,
        alert: false,
        source: {},
        event_data: {},
        trace_id: null,
        span_id: null,
        archived: false,
        archived_at: null,
      });
      const stamped = Date.parse(`${event.event_timestamp as string}Z`);
      expect(stamped).toBeGreaterThanOrEqual(before - 1000);
      expect(stamped).toBeLessThanOrEqual(Date.now() + 1000);
    });

    it.each([
      ['EventLogLevel.ERROR', 40],
      ['error', 40],
      ['Critical', 50],
      ['10', 10],
      [30.0, 30],
      [0, 0],
    ])('reads the level %j as %i', async (level, expected) => {
      const response = await call('POST', '/event', { log_level: level, event_type: 'Log_Info' });
      expect(response.status).toBe(200);
      expect(response.json).toMatchObject({ log_level: expected, event_type: 'log_info' });
    });

    it('is idempotent on the id: a retry answers 200 with the stored event, unchanged', async () => {
      const first = await call('POST', '/event', {
        event_id: 'retry-1',
        event_type: 'test',
        event_data: { attempt: 1 },
      });
      const retry = await call('POST', '/event', {
        event_id: 'retry-1',
        event_type: 'test',
        event_data: { attempt: 2 },
      });
      expect(retry.status).toBe(200);
      expect(retry.json).toEqual(first.json);
      expect((await call('GET', '/event/retry-1')).json).toMatchObject({ event_data: { attempt: 1 } });
      const found = await call('POST', '/events/query', { _id: 'retry-1' });
      expect(Object.keys(found.json as object)).toEqual(['retry-1']);
    });

    it('answers 422 with every problem in FastAPI form', async () => {
      const detail = expectValidationError(
        await call('POST', '/event', {
          event_type: 'no_such_type',
          log_level: 25,
          alert: 'maybe',
          event_timestamp: 'yesterday',
        }),
        [
          ['body', 'event_type'],
          ['body', 'log_level'],
          ['body', 'alert'],
          ['body', 'event_timestamp'],
        ],
      );
      expect(detail.map((d) => d.type)).toEqual(['enum', 'enum', 'bool_parsing', 'datetime_parsing']);
      expect(detail.map((d) => d.input)).toEqual(['no_such_type', 25, 'maybe', 'yesterday']);
      expect(detail[1]!.msg).toBe('Input should be 0, 10, 20, 30, 40 or 50');
    });

    it('answers 422 for a source member that is not a ULID, naming it', async () => {
      const [entry] = expectValidationError(await call('POST', '/event', { source: { node_id: 'robot-arm-1' } }), [
        ['body', 'source', 'node_id'],
      ]);
      expect(entry).toMatchObject({ type: 'value_error', input: 'robot-arm-1' });
      expect(entry!.msg).toMatch(/^Value error, source\.node_id must be a ULID/);
    });

    it('answers 422 for bodies that are not an event object, missing, or not JSON', async () => {
      expect(expectValidationError(await call('POST', '/event', [1, 2]), [['body']])[0]!.type).toBe(
        'model_attributes_type',
      );
      expect(expectValidationError(await call('POST', '/event', '"text"'), [['body']])[0]!.type).toBe(
        'model_attributes_type',
      );
      expect(expectValidationError(await call('POST', '/event'), [['body']])[0]!.type).toBe('missing');
      expect(expectValidationError(await call('POST', '/event', '{"event_type": '), [['body', 0]])[0]!.type).toBe(
        'json_invalid',
      );
    });

    it('stores nothing when the input is rejected', async () => {
      await call('POST', '/event', { event_id: 'rejected-1', source: { node_id: 'nope' } });
      expect((await call('GET', '/event/rejected-1')).status).toBe(404);
    });
  });

  describe('GET /event/{event_id}', () => {
    it("answers 404 with MADSci's detail for an unknown id", async () => {
      const response = await call('GET', '/event/01JGZ8Q5T30000000000000000');
      expect(response.status).toBe(404);
      expect(response.json).toEqual({ detail: 'Event with ID 01JGZ8Q5T30000000000000000 not found' });
    });
  });

  describe('GET /events and POST /events/query', () => {
    const T0 = Date.UTC(2025, 2, 1, 12, 0, 0);
    const naive = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString().slice(0, 19);
    const ids = Array.from(
      { length: 10 },
      (_, i) => `01JQ0000000000000000LIST${String.fromCharCode(65 + i)}${i % 2 === 0 ? 'A' : 'B'}`,
    );

    beforeAll(async () => {
      // Ten events a minute apart; levels cycle 10..50; "test" counts 1..10 (MADSci's own query fixture).
      for (let i = 0; i < 10; i++) {
        const response = await call('POST', '/event', {
          event_id: ids[i],
          event_type: 'test',
          log_level: [10, 20, 30, 40, 50][i % 5],
          event_timestamp: naive(i),
          event_data: { test: i + 1, suite: 'list' },
        });
        expect(response.status).toBe(200);
      }
      // Two of them archived (archiving itself has its own routes; here only its effect on reads matters).
      await server.handle.services.store.setArchived([ids[8]!, ids[9]!], new Date(Date.UTC(2025, 3, 6, 12, 0, 0, 123)));
    });

    const listed = async (query: string) => {
      const response = await call('GET', `/events?${query}`);
      expect(response.status).toBe(200);
      const map = response.json as Record<string, WireEvent>;
      for (const [id, event] of Object.entries(map)) {
        expect(event._id).toBe(id);
        expectEventShape(event);
      }
      return { ids: orderedIds(response), map };
    };
    const window = `start_time=${naive(0)}&end_time=${naive(9)}`;

    it('returns an id → event map, newest first, without archived events by default', async () => {
      const { ids: got } = await listed(window);
      expect(got).toEqual(ids.slice(0, 8).reverse());
    });

    it('limits with number and pages with offset', async () => {
      const first = await listed(`${window}&number=5`);
      const second = await listed(`${window}&number=5&offset=5`);
      expect(first.ids).toEqual(ids.slice(3, 8).reverse());
      expect(second.ids).toEqual(ids.slice(0, 3).reverse());
    });

    it('keeps log_level >= level, by number or by name', async () => {
      const byNumber = await listed(`${window}&level=40`);
      const byName = await listed(`${window}&level=error`);
      expect(byNumber.ids).toEqual([ids[4], ids[3]]);
      expect(byName.ids).toEqual(byNumber.ids);
    });

    it('bounds event_timestamp by start_time and end_time, both inclusive, naive or with Z', async () => {
      expect((await listed(`start_time=${naive(2)}&end_time=${naive(4)}`)).ids).toEqual([ids[4], ids[3], ids[2]]);
      expect((await listed(`start_time=${naive(2)}Z&end_time=${naive(2)}Z`)).ids).toEqual([ids[2]]);
    });

    it('includes archived events with include_archived=true, showing archived_at as naive text', async () => {
      const { ids: got, map } = await listed(`${window}&include_archived=yes`);
      expect(got).toEqual([...ids].reverse());
      expect(map[ids[9]!]).toMatchObject({ archived: true, archived_at: '2025-04-06T12:00:00.123000' });
    });

    it('answers 422 for unreadable parameters', async () => {
      const detail = expectValidationError(
        await call('GET', '/events?number=many&start_time=soon&include_archived=perhaps'),
        [
          ['query', 'number'],
          ['query', 'start_time'],
          ['query', 'include_archived'],
        ],
      );
      expect(detail.map((d) => d.type)).toEqual(['int_parsing', 'datetime_parsing', 'bool_parsing']);
      expectValidationError(await call('GET', '/events?offset=-1'), [['query', 'offset']]);
    });

    it('runs a selector from the JSON body, archived events included (MADSci test: test >= 10 finds 1 of 10, >= 5 finds 6)', async () => {
      const response = await call('POST', '/events/query', {
        'event_data.test': { $gte: 5 },
        'event_data.suite': 'list',
      });
      expect(response.status).toBe(200);
      expect(new Set(orderedIds(response))).toEqual(new Set(ids.slice(4)));
      const map = response.json as Record<string, WireEvent>;
      Object.values(map).forEach(expectEventShape);
    });

    it('runs a selector from the query string, in the Python literal form the Python client sends, or as JSON', async () => {
      const python =
        "{'event_data.suite': 'list', 'log_level': {'$in': [40, 50]}, 'archived': False, 'trace_id': None}";
      const fromPython = await call('POST', `/events/query?selector=${encodeURIComponent(python)}`);
      expect(fromPython.status).toBe(200);
      expect(new Set(orderedIds(fromPython))).toEqual(new Set([ids[3], ids[4]]));
      const json = JSON.stringify({
        'event_data.suite': 'list',
        event_timestamp: { $gte: `${naive(7)}`, $lte: `${naive(8)}Z` },
      });
      const fromJson = await call('POST', `/events/query?selector=${encodeURIComponent(json)}`);
      expect(new Set(orderedIds(fromJson))).toEqual(new Set([ids[7], ids[8]]));
    });

    it('refuses operators outside the allow-list, unreadable query-string selectors and a missing selector with 422', async () => {
      const [forbidden] = expectValidationError(await call('POST', '/events/query', { $where: 'this.log_level > 0' }), [
        ['body'],
      ]);
      expect(forbidden!.msg).toMatch(/\$where is not allowed/);
      expectValidationError(
        await call('POST', `/events/query?selector=${encodeURIComponent("{'a': datetime.datetime(2025, 1, 1)}")}`),
        [['query', 'selector']],
      );
      expectValidationError(await call('POST', `/events/query?selector=${encodeURIComponent("{'$function': {}}")}`), [
        ['query', 'selector'],
      ]);
      expect(expectValidationError(await call('POST', '/events/query'), [['body']])[0]!.type).toBe('missing');
    });
  });

  describe('GET /health and GET /settings', () => {
    it("answers /health in MADSci's EventManagerHealth shape", async () => {
      const response = await call('GET', '/health');
      expect(response.status).toBe(200);
      const health = response.json as Record<string, unknown>;
      expect(Object.keys(health)).toEqual([
        'healthy',
        'description',
        'version',
        'db_connected',
        'total_events',
        'otel_enabled',
        'otel_exporter_type',
        'otel_endpoint',
      ]);
      expect(health).toMatchObject({
        healthy: true,
        description: 'Event Manager is running normally',
        db_connected: true,
        otel_enabled: null,
      });
      expect(health.version).toMatch(/^\d+\.\d+\.\d+/);
      const { total } = await countAll();
      expect(health.total_events).toBe(total);
    });

    async function countAll(): Promise<{ total: number }> {
      return { total: await server.handle.services.store.count({}) };
    }

    it('answers /settings with every setting and secrets redacted', async () => {
      const response = await call('GET', '/settings');
      expect(response.status).toBe(200);
      const { settings } = response.json as { settings: Record<string, unknown> };
      expect(settings).toMatchObject({
        port: 0,
        max_page_size: 1000,
        rate_limit_enabled: true,
        rate_limit_requests: 300,
        cors_origins: ['*'],
      });
      // The suite's MongoDB URI carries no credentials: nothing in it is secret.
      expect(settings.mongodb_uri).toEqual(kind === 'mongodb' ? expect.stringMatching(/^mongodb:\/\/[^@]*$/) : null);
    });

    it('keeps only non-default settings with include_defaults=false and adds the schema with include_schema=true', async () => {
      const lean = (await call('GET', '/settings?include_defaults=false')).json as {
        settings: Record<string, unknown>;
      };
      expect(lean.settings.port).toBe(0);
      expect(lean.settings).not.toHaveProperty('max_page_size');
      const withSchema = (await call('GET', '/settings?include_schema=true')).json as Record<string, unknown>;
      expect(Object.keys(withSchema)).toEqual(['settings', 'schema', 'schema_title']);
      expect(withSchema.schema_title).toBe('EventManagerSettings');
      expect((withSchema.schema as { properties: Record<string, unknown> }).properties).toHaveProperty(
        'rate_limit_window',
      );
    });
  });

  describe('HTTP conventions', () => {
    it('answers 405 for a method a path does not serve', async () => {
      const response = await call('PUT', '/event', {});
      expect(response.status).toBe(405);
      expect(response.json).toEqual({ detail: 'Method Not Allowed' });
      expect(response.headers.get('allow')).toBe('POST');
    });

    it('allows any origin without credentials, as MADSci', async () => {
      const simple = await call('GET', '/health', undefined, { origin: 'http://dashboard.lab' });
      expect(simple.headers.get('access-control-allow-origin')).toBe('*');
      expect(simple.headers.get('access-control-allow-credentials')).toBeNull();
      const preflight = await call('OPTIONS', '/event', undefined, {
        origin: 'http://dashboard.lab',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-request-id',
      });
      expect(preflight.status).toBe(200);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
      expect(preflight.headers.get('access-control-allow-methods')).toMatch(/POST/);
      expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type,x-request-id');
    });

    it('leaves rate limiting off by default', async () => {
      const response = await call('GET', '/health');
      expect(response.headers.get('x-ratelimit-limit')).toBeNull();
    });
  });
});

describe('MADSci REST rate limiting and CORS settings', () => {
  let server: TestServer;
  afterAll(async () => server?.stop());

  it("limits each client with MADSci's sliding windows, answering 429 with its headers", async () => {
    // Loopback is exempt by default; exempt nobody here so the test client is limited. The windows
    // are long enough that no request of the test ages out of them.
    server = await startTestServer('sqlite', {
      RATE_LIMIT_ENABLED: 'true',
      RATE_LIMIT_EXEMPT_IPS: '',
      RATE_LIMIT_REQUESTS: '5',
      RATE_LIMIT_WINDOW: '300',
      RATE_LIMIT_SHORT_REQUESTS: '3',
      RATE_LIMIT_SHORT_WINDOW: '120',
      CORS_ORIGINS: 'http://dashboard.lab, http://other.lab',
    });
    const responses: RestResponse[] = [];
    for (let i = 0; i < 4; i++) responses.push(await rest(server.url, 'GET', '/health'));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(responses[0]!.headers.get('x-ratelimit-limit')).toBe('5');
    expect(responses.slice(0, 3).map((r) => r.headers.get('x-ratelimit-remaining'))).toEqual(['4', '3', '2']);
    expect(responses.slice(0, 3).map((r) => r.headers.get('x-ratelimit-burst-remaining'))).toEqual(['2', '1', '0']);
    const limited = responses[3]!;
    expect(limited.json).toEqual({ detail: 'Rate limit exceeded: 3 requests per 120 seconds (burst limit)' });
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('x-ratelimit-burst-limit')).toBe('3');
    expect(limited.headers.get('x-ratelimit-burst-remaining')).toBe('0');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    // The probes are never limited.
    expect((await rest(server.url, 'GET', '/healthz')).status).toBe(200);
  });

  it('echoes only the configured origins', async () => {
    const allowed = await rest(server.url, 'OPTIONS', '/events', undefined, {
      origin: 'http://other.lab',
      'access-control-request-method': 'GET',
    });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://other.lab');
    expect(allowed.headers.get('vary')).toMatch(/Origin/);
    const refused = await rest(server.url, 'OPTIONS', '/events', undefined, {
      origin: 'http://evil.example',
      'access-control-request-method': 'GET',
    });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe.each(STORE_KINDS)('MADSci archive, purge and backup routes on %s', (kind) => {
  let server: TestServer;
  let backupDir: string;
  const call = (method: string, path: string, body?: unknown) => rest(server.url, method, path, body);
  const DAY = 86_400_000;
  const daysAgo = (days: number) => new Date(Date.now() - days * DAY).toISOString().slice(0, 19);

  beforeAll(async () => {
    backupDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-events-backups-'));
    server = await startTestServer(kind, { BACKUP_DIR: backupDir });
    for (const [id, age] of [
      ['arch-a', 1],
      ['arch-b', 1],
      ['arch-c', 1],
      ['arch-old', 100],
    ] as const) {
      expect(
        (await call('POST', '/event', { event_id: id, event_type: 'test', event_timestamp: daysAgo(age) })).status,
      ).toBe(200);
    }
  });
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(backupDir, { recursive: true, force: true });
  });

  it('archives by ids and shows archived, archived_at on the archived events only', async () => {
    const response = await call('POST', '/events/archive', { event_ids: ['arch-a', 'arch-b', 'no-such-id'] });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ archived_count: 2, message: 'Successfully archived 2 events' });
    expect(Object.keys(response.json as object)).toEqual(['archived_count', 'message']);
    for (const id of ['arch-a', 'arch-b']) {
      const event = (await call('GET', `/event/${id}`)).json as WireEvent;
      expect(event.archived).toBe(true);
      expect(event.archived_at).toMatch(NAIVE);
      expect(Math.abs(Date.parse(`${event.archived_at as string}Z`) - Date.now())).toBeLessThan(60_000);
    }
    expect((await call('GET', '/event/arch-c')).json).toMatchObject({ archived: false, archived_at: null });
    const listed = await call('GET', '/events?include_archived=false&level=0');
    expect(Object.keys(listed.json as object)).not.toContain('arch-a');
  });

  it('archives by before_date (naive = UTC) what is older', async () => {
    const response = await call('POST', '/events/archive', { before_date: daysAgo(50), batch_size: 2 });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ archived_count: 1, message: 'Successfully archived 1 events' });
    expect((await call('GET', '/event/arch-old')).json).toMatchObject({ archived: true });
  });

  it("answers 422 with MADSci's message when neither event_ids nor before_date is given", async () => {
    const [entry] = expectValidationError(await call('POST', '/events/archive', { event_ids: [] }), [['body']]);
    expect(entry).toMatchObject({
      type: 'value_error',
      msg: 'Value error, Either event_ids or before_date must be provided',
      input: { event_ids: [] },
    });
    expectValidationError(await call('POST', '/events/archive', { before_date: 'last week' }), [
      ['body', 'before_date'],
    ]);
    expect(expectValidationError(await call('POST', '/events/archive'), [['body']])[0]!.type).toBe('missing');
    expect(expectValidationError(await call('POST', '/events/archive', [1, 2]), [['body']])[0]).toMatchObject({
      type: 'model_attributes_type',
      input: [1, 2],
    });
  });

  it('lists archived events only on GET /events/archived', async () => {
    const response = await call('GET', '/events/archived?number=10');
    expect(response.status).toBe(200);
    const map = response.json as Record<string, WireEvent>;
    expect(new Set(Object.keys(map))).toEqual(new Set(['arch-a', 'arch-b', 'arch-old']));
    Object.values(map).forEach((event) => expect(event.archived).toBe(true));
    // MADSci's order: most recently archived first (arch-old, the oldest event, was archived last).
    expect(Object.keys(map)[0]).toBe('arch-old');
  });

  it('purges archived events with DELETE /events/archived; they then 404', async () => {
    expectValidationError(await call('DELETE', '/events/archived?older_than_days=-1'), [['query', 'older_than_days']]);
    const kept = await call('DELETE', '/events/archived');
    expect(kept.json).toEqual({
      deleted_count: 0,
      message: 'Permanently deleted 0 archived events older than 365 days',
    });
    const response = await call('DELETE', '/events/archived?older_than_days=0');
    expect(response.status).toBe(200);
    expect(response.json).toEqual({
      deleted_count: 3,
      message: 'Permanently deleted 3 archived events older than 0 days',
    });
    expect((await call('GET', '/event/arch-a')).status).toBe(404);
    expect((await call('GET', '/event/arch-c')).status).toBe(200);
  });

  it('creates a backup with POST /backup and lists it on GET /backup/status (and GET /backup)', async () => {
    const created = await call('POST', '/backup', { description: 'test_backup' });
    expect(created.status).toBe(200);
    const body = created.json as { backup_path: string; status: string };
    expect(Object.keys(body)).toEqual(['backup_path', 'status']);
    expect(body.status).toBe('completed');
    expect(path.dirname(body.backup_path)).toBe(fs.realpathSync(backupDir));
    expect(path.basename(body.backup_path)).toMatch(/_backup_\d{8}_\d{6}_\d{6}_test_backup$/);
    expect(fs.existsSync(body.backup_path)).toBe(true);

    const withoutBody = await call('POST', '/backup');
    expect(withoutBody.status).toBe(200);
    expect(path.basename((withoutBody.json as { backup_path: string }).backup_path)).toMatch(/manual_backup/);

    for (const route of ['/backup/status', '/backup']) {
      const status = await call('GET', route);
      expect(status.status).toBe(200);
      const report = status.json as {
        backup_enabled: boolean;
        backup_dir: string;
        available_backups: Record<string, unknown>[];
      };
      expect(Object.keys(report)).toEqual(['backup_enabled', 'backup_dir', 'available_backups']);
      expect(report.backup_enabled).toBe(false);
      expect(report.available_backups).toHaveLength(2);
      const listed = report.available_backups.find((b) => b.path === body.backup_path)!;
      expect(Object.keys(listed)).toEqual(['path', 'created_at', 'size_bytes', 'is_valid']);
      expect(listed).toMatchObject({ is_valid: true });
      expect(listed.created_at).toMatch(NAIVE);
      expect(listed.size_bytes).toBeGreaterThan(0);
    }
  });
});

describe.each(STORE_KINDS)('MADSci utilization routes on %s', (kind) => {
  let server: TestServer;
  let exportDir: string;
  const call = (path: string) => rest(server.url, 'GET', path);
  const WINDOW = 'start_time=2025-01-06T00:00:00Z&end_time=2025-01-07T00:00:00Z';

  beforeAll(async () => {
    exportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-events-exports-'));
    server = await startTestServer(kind, { EXPORT_DIR: exportDir });
    // A workcell session with one completed workflow, as MADSci's workcell manager logs them.
    const events = [
      {
        event_type: 'workcell_start',
        event_timestamp: '2025-01-06T08:00:00',
        source: { workcell_id: WORKCELL },
        event_data: { name: 'wc-1' },
      },
      {
        event_type: 'workflow_start',
        event_timestamp: '2025-01-06T08:20:00',
        source: { workcell_id: WORKCELL },
        event_data: { workflow_id: 'wf-1', name: 'titration', author: 'ada' },
      },
      {
        event_type: 'workflow_complete',
        event_timestamp: '2025-01-06T08:30:00',
        source: { workcell_id: WORKCELL },
        event_data: {
          workflow_id: 'wf-1',
          name: 'titration',
          author: 'ada',
          status: 'completed',
          duration_seconds: 600,
        },
      },
      {
        event_type: 'workcell_stop',
        event_timestamp: '2025-01-06T10:00:00',
        source: { workcell_id: WORKCELL },
        event_data: {},
      },
    ];
    for (const event of events) expect((await rest(server.url, 'POST', '/event', event)).status).toBe(200);
  });
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(exportDir, { recursive: true, force: true });
  });

  it('answers the session report as JSON, and as CSV with MADSci headers', async () => {
    const response = await call(`/utilization/sessions?${WINDOW}`);
    expect(response.status).toBe(200);
    const report = response.json as Record<string, unknown>;
    expect(Object.keys(report)).toEqual(['report_metadata', 'overall_summary', 'session_details']);
    expect((report.session_details as { session_type: string }[]).map((s) => s.session_type)).toContain('workcell');

    const csv = await call(`/utilization/sessions?${WINDOW}&csv_format=true`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename=session_utilization_report.csv');
    expect(csv.text).toMatch(/\r\n/);
  });

  it("serves the user report on /utilization/user and on /utilization/users (the Python client's path)", async () => {
    const singular = (await call(`/utilization/user?${WINDOW}`)).json as Record<string, unknown>;
    const plural = (await call(`/utilization/users?${WINDOW}`)).json as Record<string, unknown>;
    expect(singular).not.toHaveProperty('error');
    expect(Object.keys(plural)).toEqual(Object.keys(singular));
    expect(JSON.stringify(plural)).toMatch(/"ada"/);
  });

  it('answers the periods report, and its error objects with HTTP 200', async () => {
    const report = await call(`/utilization/periods?${WINDOW}&analysis_type=hourly&user_timezone=UTC`);
    expect(report.status).toBe(200);
    expect(report.json).not.toHaveProperty('error');
    const missing = await call('/utilization/periods?start_time=2025-01-06T00:00:00Z');
    expect(missing.status).toBe(200);
    expect(missing.json).toEqual({
      error: 'start_time and end_time are required',
      details: 'Both parameters must be provided as ISO strings',
    });
    const reversed = await call('/utilization/periods?start_time=2025-01-07T00:00:00Z&end_time=2025-01-06T00:00:00Z');
    expect(reversed.json).toMatchObject({ error: 'Invalid analysis time period: start time must be before end time' });
    const unreadable = await call('/utilization/sessions?start_time=noonish');
    expect(unreadable.status).toBe(200);
    expect(unreadable.json).toEqual({ error: "Failed to generate report: Invalid isoformat string: 'noonish'" });
  });

  it('saves CSV on the server only into the export directory', async () => {
    const noPath = await call(`/utilization/user?${WINDOW}&csv_format=true&save_to_file=true`);
    expect(noPath.json).toEqual({ error: 'output_path is required when save_to_file=True' });
    const outside = await call(
      `/utilization/user?${WINDOW}&csv_format=true&save_to_file=true&output_path=/tmp/elsewhere`,
    );
    expect((outside.json as { error: string }).error).toMatch(/export directory/);
    const saved = await call(
      `/utilization/user?${WINDOW}&csv_format=true&save_to_file=true&output_path=${encodeURIComponent(exportDir)}`,
    );
    const body = saved.json as { success: boolean; file_path: string; report_type: string };
    expect(body).toMatchObject({
      success: true,
      message: 'CSV file saved successfully',
      csv_format: true,
      saved_to_server: true,
      report_type: 'user_utilization',
    });
    expect(path.dirname(body.file_path)).toBe(path.resolve(exportDir));
    expect(path.basename(body.file_path)).toMatch(/^madsci_user_utilization_detailed_\d{8}\.csv$/);
    expect(fs.readFileSync(body.file_path, 'utf8')).toMatch(/\r\n/);
  });
});

describe('MADSci /settings redaction', () => {
  let server: TestServer;
  afterAll(async () => server?.stop());

  it('redacts every secret-looking setting: credentials, connection strings and webhook URLs', async () => {
    server = await startTestServer('sqlite', {
      SMTP_USERNAME: 'lab-bot',
      SMTP_PASSWORD: 'hunter2',
      ALERT_WEBHOOK_URLS: 'https://hooks.example.com/T000/B000/secret-token',
      MAX_QUERY_TOKENS: '5000',
      IDE_API_KEY_HEADER: 'X-Lab-Key',
    });
    const response = await rest(server.url, 'GET', '/settings?include_defaults=false');
    const { settings } = response.json as { settings: Record<string, unknown> };
    expect(settings).toMatchObject({
      smtp_username: '***REDACTED***',
      smtp_password: '***REDACTED***',
      alert_webhook_urls: '***REDACTED***',
      // Harmless values whose names merely mention tokens or keys are shown.
      max_query_tokens: 5000,
      ide_api_key_header: 'X-Lab-Key',
    });
    expect(response.text).not.toMatch(/hunter2|lab-bot|secret-token/);
  });
});
