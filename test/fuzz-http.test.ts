import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server';

/**
 * Random and malformed input at the live HTTP endpoint (SQLite), GraphQL and MADSci REST: about
 * 4 000 inputs per run. Whatever arrives, the answer is a 2xx/4xx (or SERVICE_UNAVAILABLE), never
 * an internal error or a stack trace, the server stays up, and a call that was rejected stored
 * nothing.
 */

const COUNT = '{ events(filter: { archived: ALL }, first: 0) { totalCount } }';
const LOG = 'mutation($e: [EventInput!]!) { logEvents(events: $e) { insertedCount duplicateCount } }';

interface Answer {
  status: number;
  text: string;
  body: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] } | null;
}

let server: TestServer;

async function send(body: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await server.post(body, headers);
  const text = await response.text();
  let parsed: Answer['body'];
  try {
    parsed = JSON.parse(text) as Answer['body'];
  } catch {
    parsed = null;
  }
  return { status: response.status, text, body: parsed };
}

/** The one 5xx a handled request may get: the database is unavailable (HTTP 503). */
const UNAVAILABLE = 503;

/**
 * Handled: a 2xx/4xx, or a 503 whose JSON body reports SERVICE_UNAVAILABLE for each of its (one
 * or more) errors; and no INTERNAL_SERVER_ERROR inside any answer (a crash caught and reported is
 * still a crash). Any other 5xx fails, and so does a 503 without that body: plain text, HTML or
 * an empty body is what a crash below GraphQL (Express's final handler, a proxy) answers.
 */
function expectHandled(answer: Answer): void {
  const errors = Array.isArray(answer.body?.errors) ? answer.body.errors : [];
  if (answer.status >= 500) {
    const detail = `HTTP ${answer.status}: ${answer.text.slice(0, 500)}`;
    expect(answer.status, detail).toBe(UNAVAILABLE);
    expect(errors.length, `a GraphQL error body: ${detail}`).toBeGreaterThan(0);
    expect(
      errors.map((e) => e.extensions?.code),
      detail,
    ).toEqual(errors.map(() => 'SERVICE_UNAVAILABLE'));
  }
  const internal = errors.filter((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR');
  expect(internal, JSON.stringify(internal).slice(0, 500)).toEqual([]);
}

/**
 * Handled on the REST routes: below 500, or a 503 with MADSci's JSON error body
 * (`{"detail": "..."}`); any other 5xx, or a 503 in plain text, fails.
 */
function expectRestHandled(status: number, text: string, what: string): void {
  if (status < 500) return;
  const detail = `${what}: HTTP ${status}: ${text.slice(0, 300)}`;
  expect(status, detail).toBe(UNAVAILABLE);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  expect(body, detail).toEqual({ detail: expect.any(String) });
}

async function total(): Promise<number> {
  const answer = await send(JSON.stringify({ query: COUNT }));
  return (answer.body!.data as { events: { totalCount: number } }).events.totalCount;
}

/** A value nested `depth` levels deep, in objects or arrays. */
const deep = fc
  .tuple(fc.oneof(fc.integer({ min: 1, max: 120 }), fc.integer({ min: 1, max: 3000 })), fc.boolean())
  .map(([depth, arrays]) => {
    let value: unknown = 'bottom';
    for (let i = 0; i < depth; i++) value = arrays ? [value] : { [`k${i % 3}`]: value, $gt: i % 2 ? 1 : undefined };
    return value;
  });
const huge = fc.integer({ min: 10_000, max: 1_000_000 }).map((n) => 'x'.repeat(n));
// Huge strings are rare (each costs a multi-megabyte request), the rest is cheap.
const weirdString = fc.oneof(
  { arbitrary: fc.string(), weight: 6 },
  { arbitrary: fc.string({ unit: 'binary' }), weight: 3 },
  {
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '\u0000',
      '$where',
      'NaN',
      '-1',
      '9'.repeat(400),
      '2024-02-30T25:61:00Z',
      '0000-00-00',
    ),
    weight: 3,
  },
  { arbitrary: huge, weight: 1 },
);
const dateLike = fc.oneof(
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom(
    '2024-13-01T00:00:00Z',
    '1970-01-01',
    '+275760-09-13T00:00:00.001Z',
    '-000001-01-01T00:00:00Z',
    'yesterday',
    '2024-01-01T00:00:00+25:00',
  ),
  fc.integer(),
  weirdString,
);
const anyValue = fc.oneof(
  { depthSize: 'small' },
  fc.jsonValue(),
  fc.anything(),
  deep,
  weirdString,
  dateLike,
  fc.constant(null),
);

/** An event: mostly plausible shapes with malformed parts. */
const eventArb = fc.record(
  {
    id: fc.oneof(fc.uuid(), weirdString, fc.integer(), fc.constant(null)),
    eventType: fc.oneof(fc.constantFrom('LOG_INFO', 'ACTION_START', 'UNKNOWN', 'log_info', 'NOPE'), weirdString),
    logLevel: fc.oneof(fc.constantFrom('INFO', 'ERROR', 'DEBUG', 'LOUD'), fc.integer()),
    eventTimestamp: dateLike,
    eventData: anyValue,
    alert: fc.oneof(fc.boolean(), anyValue),
    source: fc.oneof(
      fc.record({ nodeId: weirdString, workcellId: fc.oneof(weirdString, fc.integer()) }, { requiredKeys: [] }),
      anyValue,
    ),
    traceId: weirdString,
    extra: anyValue,
  },
  { requiredKeys: [] },
);

/** `and`/`or` nested hundreds or thousands deep (graphql-js's coercion recursion once overflowed here). */
const deepFilter = fc.tuple(fc.integer({ min: 1, max: 2000 }), fc.constantFrom('and', 'or')).map(([depth, key]) => {
  let filter: Record<string, unknown> = {};
  for (let i = 0; i < depth; i++) filter = { [key]: [filter] };
  return filter;
});

const filterArb: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  filter: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    deepFilter,
    fc.record(
      {
        text: weirdString,
        from: dateLike,
        to: dateLike,
        eventTypes: fc.array(fc.oneof(fc.constantFrom('LOG_INFO', 'ACTION_FAILED'), weirdString), { maxLength: 4 }),
        levels: fc.array(fc.constantFrom('INFO', 'ERROR', 'WHAT'), { maxLength: 3 }),
        minLevel: fc.constantFrom('INFO', 'ERROR', 42),
        archived: fc.constantFrom('ACTIVE', 'ALL', 'ARCHIVED', 'SOME'),
        source: fc.oneof(fc.record({ nodeId: weirdString }, { requiredKeys: [] }), anyValue),
        and: fc.array(tie('filter'), { maxLength: 3 }),
        or: fc.array(tie('filter'), { maxLength: 3 }),
      },
      { requiredKeys: [] },
    ),
    anyValue,
  ),
})).filter;

const selectorArb = fc.oneof(
  fc.dictionary(
    fc.oneof(
      fc.constantFrom(
        '_id',
        'event_type',
        'log_level',
        'source.node_id',
        'event_timestamp',
        'event_data.x',
        '$where',
        '$expr',
        '$or',
        '$and',
        '$function',
        'a.$b',
        '',
      ),
      fc.string(),
    ),
    fc.oneof(
      anyValue,
      fc.record({ $regex: weirdString, $options: fc.string() }, { requiredKeys: ['$regex'] }),
      fc.record(
        { $gte: dateLike, $in: fc.array(anyValue, { maxLength: 3 }), $exists: anyValue, $elemMatch: anyValue },
        { requiredKeys: [] },
      ),
    ),
    { maxKeys: 4 },
  ),
  anyValue,
);
const cursorArb = fc.oneof(
  weirdString,
  fc.base64String(),
  fc.string().map((s) => Buffer.from(s).toString('base64')),
  fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')),
);
const intLike = fc.oneof(fc.integer({ min: -5, max: 2000 }), fc.integer(), fc.double(), weirdString, fc.constant(null));

/** A MADSci REST request: a route (or a near miss), a query string and a body, all malformed at will. */
const ROUTES = [
  'POST /event',
  'GET /events',
  'POST /events/query',
  'POST /events/archive',
  'GET /events/archived',
  'DELETE /events/archived',
  'POST /backup',
  'GET /backup',
  'GET /backup/status',
  'GET /health',
  'GET /settings',
  'GET /utilization/sessions',
  'GET /utilization/periods',
  'GET /utilization/user',
  'GET /utilization/users',
] as const;
const restArb = fc.record({
  route: fc.oneof(
    { arbitrary: fc.constantFrom(...ROUTES).map((r) => r.split(' ') as [string, string]), weight: 6 },
    {
      arbitrary: weirdString.map((id): [string, string] => ['GET', `/event/${encodeURIComponent(id.slice(0, 2000))}`]),
      weight: 2,
    },
    // Near misses: a method the path does not serve.
    {
      arbitrary: fc.tuple(
        fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH'),
        fc.constantFrom(...ROUTES).map((r) => r.split(' ')[1]!),
      ),
      weight: 1,
    },
  ),
  query: fc.dictionary(
    fc.constantFrom(
      'number',
      'offset',
      'level',
      'include_archived',
      'selector',
      'start_time',
      'end_time',
      'analysis_type',
      'csv_format',
      'save_to_file',
      'output_path',
      'user_id',
      'older_than_days',
      'include_defaults',
      'x',
    ),
    fc.oneof(
      weirdString.map((v) => v.slice(0, 5000)),
      fc.integer().map(String),
      fc.constantFrom('true', 'False', '-1', '1e309', "{'event_type': 'log'}", '{"$where": "1"}', '../../etc'),
    ),
    { maxKeys: 4 },
  ),
  body: fc.option(
    fc.oneof(
      {
        arbitrary: fc
          .record(
            {
              event_type: fc.oneof(
                fc.constantFrom('log_info', 'node_error', 'EXPERIMENT_START', 'LOG', 'nope'),
                weirdString,
              ),
              log_level: fc.oneof(fc.constantFrom(10, 20, 40, 'INFO', 'error'), fc.integer(), weirdString),
              event_data: anyValue,
              source: anyValue,
              event_timestamp: dateLike,
              _id: fc.oneof(fc.uuid(), weirdString),
            },
            { requiredKeys: [] },
          )
          .map((v) => JSON.stringify(v)),
        weight: 4,
      },
      fc
        .record(
          { event_ids: fc.array(weirdString, { maxLength: 3 }), before_date: dateLike, batch_size: intLike },
          { requiredKeys: [] },
        )
        .map((v) => JSON.stringify(v)),
      anyValue.map((v) => JSON.stringify(v) ?? 'null'),
      weirdString,
    ),
    { nil: undefined },
  ),
});

describe('random and malformed input at /graphql and the REST routes (SQLite)', () => {
  let exportDir: string;
  beforeAll(async () => {
    // Utilization reports saved by the fuzzer land here, not in the working tree.
    exportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-events-fuzz-exports-'));
    server = await startTestServer('sqlite', { EXPORT_DIR: exportDir });
  });
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(exportDir, { recursive: true, force: true });
  });

  it('MADSci REST routes: any method, path, query and body is answered below 500, and a refused call changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(restArb, async ({ route: [method, route], query, body }) => {
        const before = await total();
        const url = `${server.url}${route}?${new URLSearchParams(query).toString()}`;
        const response = await fetch(url, {
          method,
          ...(body === undefined || method === 'GET' ? {} : { body, headers: { 'content-type': 'application/json' } }),
        });
        const text = await response.text();
        expectRestHandled(response.status, text, `${method} ${route}`);
        expect(text, 'no stack trace').not.toMatch(/\bat .*\.(ts|js):\d+/);
        if (response.status >= 400) expect(await total()).toBe(before);
      }),
      { numRuns: 1000, endOnFailure: true, timeout: 10_000 },
    );
  }, 300_000);

  it('logEvents: every answer is handled, a rejected batch stores nothing, an accepted one stores what it says', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(eventArb, { minLength: 0, maxLength: 6 }), async (events) => {
        const before = await total();
        const answer = await send(JSON.stringify({ query: LOG, variables: { e: events } }));
        expectHandled(answer);
        const after = await total();
        const logged = (answer.body?.data as { logEvents?: { insertedCount: number } } | null | undefined)?.logEvents;
        if (answer.body?.errors?.length || !logged) expect(after).toBe(before);
        else expect(after).toBe(before + logged.insertedCount);
      }),
      { numRuns: 1000, endOnFailure: true, timeout: 10_000 },
    );
  }, 300_000);

  it('queries: filters, selectors, cursors, page sizes and dates never make a 5xx', async () => {
    const queries = fc.oneof(
      fc
        .record({
          filter: filterArb,
          first: intLike,
          after: cursorArb,
          orderBy: fc.constantFrom('NEWEST_FIRST', 'OLDEST_FIRST', 'SIDEWAYS'),
        })
        .map((v) => ({
          query:
            'query($filter: EventFilter, $first: Int, $after: String, $orderBy: EventOrder) { events(filter: $filter, first: $first, after: $after, orderBy: $orderBy) { totalCount edges { cursor node { id } } } }',
          variables: v,
        })),
      fc.record({ selector: selectorArb, limit: intLike, offset: intLike }).map((v) => ({
        query:
          'query($selector: JSON!, $limit: Int, $offset: Int) { queryEvents(selector: $selector, limit: $limit, offset: $offset) { id } }',
        variables: v,
      })),
      fc.record({ filter: filterArb, limit: intLike, offset: intLike }).map((v) => ({
        query:
          'query($filter: EventFilter, $limit: Int, $offset: Int) { eventPage(filter: $filter, limit: $limit, offset: $offset) { totalCount } }',
        variables: v,
      })),
      fc.record({ from: dateLike, to: dateLike, timezone: weirdString }).map((v) => ({
        query:
          'query($from: DateTimeISO, $to: DateTimeISO, $timezone: String) { eventCounts(groupBy: EVENT_TYPE, bucket: DAY, timezone: $timezone, filter: { from: $from, to: $to }) { key count } }',
        variables: v,
      })),
      fc.record({ ids: fc.oneof(fc.array(weirdString, { maxLength: 5 }), anyValue), id: anyValue }).map((v) => ({
        query: 'query($ids: [ID!]!, $id: ID!) { eventsByIds(ids: $ids) { id } event(id: $id) { id } }',
        variables: v,
      })),
    );
    await fc.assert(
      fc.asyncProperty(queries, async (operation) => {
        expectHandled(await send(JSON.stringify(operation)));
      }),
      { numRuns: 1500, endOnFailure: true, timeout: 10_000 },
    );
  }, 300_000);

  it('raw bodies and documents: garbage, wrong shapes and deep or huge queries are client errors', async () => {
    const bodies = fc.oneof(
      weirdString,
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc
        .record(
          { query: fc.oneof(weirdString, anyValue), variables: anyValue, operationName: anyValue },
          { requiredKeys: [] },
        )
        .map((v) => JSON.stringify(v)),
      fc
        .integer({ min: 1, max: 3000 })
        .map((n) =>
          JSON.stringify({ query: `{ ${'events { edges { node { id } } '.repeat(n)}${'} } } '.repeat(n)} }` }),
        ),
      fc
        .integer({ min: 1, max: 3000 })
        .map((n) =>
          JSON.stringify({ query: `{ ${Array.from({ length: n }, (_, i) => `a${i}: health { status }`).join(' ')} }` }),
        ),
    );
    await fc.assert(
      fc.asyncProperty(
        bodies,
        fc.constantFrom('application/json', 'text/plain', 'application/graphql-response+json'),
        async (body, type) => {
          const before = await total();
          const answer = await send(body, { 'content-type': type });
          expect(answer.status).toBeLessThan(500);
          expectHandled(answer);
          expect(await total()).toBe(before);
        },
      ),
      { numRuns: 600, endOnFailure: true, timeout: 10_000 },
    );
    // Still alive and answering.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  }, 300_000);
});
