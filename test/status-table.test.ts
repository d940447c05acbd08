import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer, type ServerHandle } from '../src/app/server';
import { hashApiKey } from '../src/core/api-keys';
import { createLogger } from '../src/core/logger';
import { Role } from '../src/core/roles';
import { createStore } from '../src/store/create-store';
import type { EventStore } from '../src/store/event-store';
import { testConfig } from './support/stores';
import { ensureWebBundle } from './support/web-bundle';
import { wsUrl } from './support/ws-client';

/*
 * The status table of docs/errors.md, asserted on real servers (SQLite): HTTP status and error
 * code for every role x operation class x door, then the rows that need their own configuration
 * (rate limit on, store closed) or input (too large, malformed, invalid, unknown path, CSRF).
 */

const KEYS = { reader: 'status-reader-key-0123', writer: 'status-writer-key-0123', admin: 'status-admin-key-0123' };
type Who = 'none' | 'bad key' | keyof typeof KEYS;
const WHO: Who[] = ['none', 'bad key', 'reader', 'writer', 'admin'];
const RANK: Record<Who, number> = { none: 0, 'bad key': 0, reader: 1, writer: 2, admin: 3 };
const NEEDS: Record<Role, number> = { [Role.READER]: 1, [Role.WRITER]: 2, [Role.ADMIN]: 3 };

type OpClass = 'read query' | 'write mutation' | 'admin mutation' | 'download' | 'subscription';
const OP_ROLE: Record<OpClass, Role> = {
  'read query': Role.READER,
  'write mutation': Role.WRITER,
  'admin mutation': Role.ADMIN,
  download: Role.READER,
  subscription: Role.READER,
};

/** One operation of each class, as GraphQL (both GraphQL doors), REST and downloads express it. */
const GRAPHQL: Partial<Record<OpClass, string>> = {
  'read query': '{ events(first: 1) { totalCount } }',
  'write mutation': 'mutation { logEvent(event: { eventType: TEST }) { id } }',
  'admin mutation': 'mutation { archiveEvents(ids: ["none"]) { archivedCount } }',
  subscription: 'subscription { eventLogged { id } }',
};
const REST: Partial<Record<OpClass, { method: string; path: string; body?: unknown }>> = {
  'read query': { method: 'GET', path: '/events?number=1' },
  'write mutation': { method: 'POST', path: '/event', body: { event_type: 'test' } },
  'admin mutation': { method: 'DELETE', path: '/events/archived?older_than_days=3650' },
  download: { method: 'GET', path: '/utilization/sessions?csv_format=true' },
};
const DOWNLOADS: Partial<Record<OpClass, string>> = {
  'read query': '/export/events.ndjson',
  download: '/export/events.csv',
};

/** The outcome a caller must get: allowed, or refused with a status and code. */
function expected(who: Who, op: OpClass): { status: 200 } | { status: 401 | 403; code: string } {
  if (who === 'bad key') return { status: 401, code: 'UNAUTHENTICATED' };
  if (RANK[who] >= NEEDS[OP_ROLE[op]]) return { status: 200 };
  return who === 'none' ? { status: 401, code: 'UNAUTHENTICATED' } : { status: 403, code: 'FORBIDDEN' };
}

function headersFor(who: Who): Record<string, string> {
  if (who === 'none') return {};
  if (who === 'bad key') return { 'x-api-key': 'not-a-configured-key' };
  return { authorization: `Bearer ${KEYS[who]}` };
}

function paramsFor(who: Who): Record<string, unknown> | undefined {
  if (who === 'none') return undefined;
  if (who === 'bad key') return { 'X-API-Key': 'not-a-configured-key' };
  return { 'X-API-Key': KEYS[who] };
}

/** A server on a fresh SQLite file, keeping its store so a test can close it. */
interface Running {
  handle: ServerHandle;
  store: EventStore;
  url: string;
  stop(): Promise<void>;
}

async function start(env: Record<string, string>): Promise<Running> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-events-status-'));
  const config = testConfig({ DATA_DIR: dir, ...env });
  const logger = createLogger('silent');
  const store = createStore(config, logger);
  const handle = await startServer({ config, store, logger });
  return {
    handle,
    store,
    url: handle.url,
    stop: async () => {
      await handle.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const API_KEYS = (Object.keys(KEYS) as (keyof typeof KEYS)[])
  .map((role) => hashApiKey(role as Role, KEYS[role]))
  .join(',');

interface Answer {
  status: number;
  code?: string;
  field?: string;
  /** The `Retry-After` header, when there is one. */
  retryAfter?: string;
  body: unknown;
}

async function answer(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // CSV, or not JSON: kept as text.
  }
  const first = (body as { errors?: { extensions?: { code?: string; field?: string } }[] } | null)?.errors?.[0];
  return {
    status: response.status,
    ...(first?.extensions?.code ? { code: first.extensions.code } : {}),
    ...(first?.extensions?.field ? { field: first.extensions.field } : {}),
    ...(response.headers.has('retry-after') ? { retryAfter: response.headers.get('retry-after')! } : {}),
    body,
  };
}

function postGraphql(url: string, body: string, headers: Record<string, string> = {}): Promise<Answer> {
  return fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  }).then(answer);
}

/** What one graphql-ws operation got: its first data, an error code, or the socket's close code. */
type WsOutcome = { data: unknown } | { code: string | undefined } | { closed: number };

function wsOnce(
  url: string,
  params: Record<string, unknown> | undefined,
  query: string,
  variables?: Record<string, unknown>,
): Promise<WsOutcome> {
  return new Promise((resolve) => {
    const client = createClient({
      url: wsUrl(url),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: params,
    });
    const done = (outcome: WsOutcome) => {
      resolve(outcome);
      void client.dispose();
    };
    client.subscribe(
      { query, ...(variables ? { variables } : {}) },
      {
        next: (value) =>
          done(value.errors ? { code: value.errors[0]?.extensions?.code as string } : { data: value.data }),
        error: (error) =>
          done(
            Array.isArray(error)
              ? { code: (error as { extensions?: { code?: string } }[])[0]?.extensions?.code }
              : { closed: (error as { code: number }).code },
          ),
        complete: () => undefined,
      },
    );
  });
}

describe('status table: role x operation class x door (API_KEYS set)', () => {
  let server: Running;
  beforeAll(async () => {
    // The pages' row needs the web bundle, which another test file may not have built yet.
    await ensureWebBundle();
    server = await start({ API_KEYS, MAX_BODY_BYTES: '20000' });
  }, 300_000);
  afterAll(async () => server?.stop());

  for (const who of WHO) {
    for (const op of Object.keys(OP_ROLE) as OpClass[]) {
      const want = expected(who, op);
      const verdict = want.status === 200 ? 'allowed' : `${want.status} ${want.code}`;

      const query = GRAPHQL[op];
      if (query) {
        // Subscriptions are served by graphql-ws only: over HTTP, 400 BAD_REQUEST after the role check.
        const http = want.status === 200 && op === 'subscription' ? '400 BAD_REQUEST' : verdict;
        it(`GraphQL over HTTP: ${who}, ${op} -> ${http}`, async () => {
          const got = await postGraphql(server.url, JSON.stringify({ query }), headersFor(who));
          if (want.status !== 200) expect(got).toMatchObject({ status: want.status, code: want.code });
          else if (op === 'subscription') expect(got).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
          else expect(got).toMatchObject({ status: 200, body: { data: expect.anything() } });
          expect((got.body as { errors?: unknown }).errors === undefined).toBe(http === 'allowed');
        });
      }

      if (query) {
        const ws = who === 'bad key' ? 'socket closed 4403' : verdict;
        it(`graphql-ws: ${who}, ${op} -> ${ws}`, async () => {
          // An admitted subscription yields once an event is logged: keep logging until then.
          const logging =
            op === 'subscription'
              ? setInterval(
                  () =>
                    void postGraphql(
                      server.url,
                      JSON.stringify({ query: GRAPHQL['write mutation'] }),
                      headersFor('admin'),
                    ),
                  100,
                )
              : undefined;
          const got = await wsOnce(server.url, paramsFor(who), query).finally(() => clearInterval(logging));
          if (who === 'bad key') expect(got).toEqual({ closed: 4403 });
          else if (want.status === 200) expect(got).toEqual({ data: expect.anything() });
          else expect(got).toEqual({ code: want.code });
        });
      }

      const route = REST[op];
      if (route) {
        it(`REST: ${who}, ${op} (${route.method} ${route.path.split('?')[0]}) -> ${want.status}`, async () => {
          const response = await fetch(`${server.url}${route.path}`, {
            method: route.method,
            headers: { 'content-type': 'application/json', ...headersFor(who) },
            ...(route.body ? { body: JSON.stringify(route.body) } : {}),
          });
          const got = await answer(response);
          expect(got.status).toBe(want.status);
          // MADSci's dialect has no code: the status is the code, the detail says why.
          if (want.status === 401) {
            expect(got.body).toEqual({ detail: expect.stringMatching(/Invalid API key|needs an API key/) });
            expect(response.headers.get('www-authenticate')).toBe('Bearer');
          }
          if (want.status === 403) expect(got.body).toEqual({ detail: expect.stringMatching(/needs the \w+ role/) });
        });
      }

      const download = DOWNLOADS[op];
      if (download) {
        it(`downloads: ${who}, ${op} (GET ${download}) -> ${verdict}`, async () => {
          const got = await fetch(`${server.url}${download}`, { headers: headersFor(who) }).then(answer);
          if (want.status === 200) expect(got.status).toBe(200);
          else expect(got).toMatchObject({ status: want.status, code: want.code });
        });
      }
    }
  }

  it('413 PAYLOAD_TOO_LARGE on every door (graphql-ws closes with 1009)', async () => {
    const big = JSON.stringify({ query: '{ health { healthy } }', variables: { pad: 'x'.repeat(30_000) } });
    expect(await postGraphql(server.url, big, headersFor('admin'))).toMatchObject({
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    });
    const rest = await fetch(`${server.url}/event`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headersFor('admin') },
      body: JSON.stringify({ event_type: 'test', event_data: { pad: 'x'.repeat(30_000) } }),
    }).then(answer);
    expect(rest).toMatchObject({ status: 413, body: { detail: 'Request body larger than 20000 bytes' } });
    const ws = await wsOnce(server.url, paramsFor('admin'), `{ health { healthy } } # ${'x'.repeat(30_000)}`);
    expect(ws).toEqual({ closed: 1009 });
  });

  it('400 for what does not parse or validate, with the code saying which (REST: 422 as MADSci)', async () => {
    const admin = headersFor('admin');
    expect(await postGraphql(server.url, '{"query": ', admin)).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    expect(await postGraphql(server.url, JSON.stringify({ query: '{ health {' }), admin)).toMatchObject({
      status: 400,
      code: 'GRAPHQL_PARSE_FAILED',
    });
    expect(await postGraphql(server.url, JSON.stringify({ query: '{ nope }' }), admin)).toMatchObject({
      status: 400,
      code: 'GRAPHQL_VALIDATION_FAILED',
    });
    // An inline bad enum value is a validation error; the same in variables is bad input.
    expect(
      await postGraphql(
        server.url,
        JSON.stringify({ query: '{ events(filter: { minLevel: LOUD }) { totalCount } }' }),
        admin,
      ),
    ).toMatchObject({ status: 400, code: 'GRAPHQL_VALIDATION_FAILED' });
    expect(
      await postGraphql(
        server.url,
        JSON.stringify({
          query: 'query($f: EventFilter) { events(filter: $f) { totalCount } }',
          variables: { f: { minLevel: 'LOUD' } },
        }),
        admin,
      ),
    ).toMatchObject({ status: 400, code: 'BAD_USER_INPUT', field: 'f.minLevel' });
    // A bad date names its field, inline or in variables.
    expect(
      await postGraphql(
        server.url,
        JSON.stringify({ query: '{ events(filter: { from: "soon" }) { totalCount } }' }),
        admin,
      ),
    ).toMatchObject({ status: 400, code: 'BAD_USER_INPUT', field: 'filter.from' });
    expect(
      await postGraphql(
        server.url,
        JSON.stringify({
          query: 'mutation($e: [EventInput!]!) { logEvents(events: $e) { insertedCount } }',
          variables: { e: [{ eventType: 'TEST' }, { eventTimestamp: 'soon' }] },
        }),
        admin,
      ),
    ).toMatchObject({ status: 400, code: 'BAD_USER_INPUT', field: 'e[1].eventTimestamp' });
    // Bad input a resolver finds: 400 too when the operation produced nothing (a partial result is 200).
    expect(
      await postGraphql(server.url, JSON.stringify({ query: '{ events(after: "garbage") { totalCount } }' }), admin),
    ).toMatchObject({ status: 400, code: 'BAD_USER_INPUT', field: 'after', body: { data: null } });
    // graphql-ws answers the same codes as error messages.
    expect(await wsOnce(server.url, paramsFor('admin'), '{ health {')).toEqual({ code: 'GRAPHQL_PARSE_FAILED' });
    expect(await wsOnce(server.url, paramsFor('admin'), '{ nope }')).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
    // An operation that cannot be picked: Apollo's code on both doors.
    const unresolved = [
      { query: 'query A { health { healthy } } query B { health { healthy } }' },
      { query: 'query A { health { healthy } }', operationName: 'C' },
    ];
    for (const body of unresolved) {
      expect(await postGraphql(server.url, JSON.stringify(body), admin)).toMatchObject({
        status: 400,
        code: 'OPERATION_RESOLUTION_FAILURE',
      });
    }
    expect(
      await wsOnce(server.url, paramsFor('admin'), 'query A { health { healthy } } query B { health { healthy } }'),
    ).toEqual({ code: 'OPERATION_RESOLUTION_FAILURE' });
    // A variable that does not coerce, over the socket: a query, then a subscription.
    expect(
      await wsOnce(server.url, paramsFor('admin'), 'query($f: EventFilter) { events(filter: $f) { totalCount } }', {
        f: { minLevel: 'LOUD' },
      }),
    ).toEqual({ code: 'BAD_USER_INPUT' });
    expect(
      await wsOnce(
        server.url,
        paramsFor('admin'),
        'subscription($n: [String!]) { eventLogged(filter: { source: { nodeId: $n } }) { id } }',
        {
          n: [null],
        },
      ),
    ).toEqual({ code: 'BAD_USER_INPUT' });
    // Downloads: a bad parameter is 400 BAD_USER_INPUT naming it.
    expect(
      await fetch(`${server.url}/export/utilization/sessions.csv?from=soon`, { headers: headersFor('reader') }).then(
        answer,
      ),
    ).toMatchObject({ status: 400, code: 'BAD_USER_INPUT', field: 'from' });
    // REST answers malformed JSON as FastAPI does.
    const rest = await fetch(`${server.url}/event`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headersFor('admin') },
      body: '{"event_type": ',
    }).then(answer);
    expect(rest).toMatchObject({ status: 422, body: { detail: [{ type: 'json_invalid' }] } });
  });

  it('404 JSON for unknown paths: {"detail": "Not Found"} as FastAPI, NOT_FOUND under /export', async () => {
    for (const [method, where] of [
      ['GET', '/nope'],
      ['POST', '/events/nope'],
      ['DELETE', '/'],
    ] as const) {
      const response = await fetch(`${server.url}${where}`, { method, headers: headersFor('admin') });
      expect(response.headers.get('content-type'), `${method} ${where}`).toMatch(/^application\/json/);
      expect(await answer(response), `${method} ${where}`).toMatchObject({
        status: 404,
        body: { detail: 'Not Found' },
      });
    }
    expect(await fetch(`${server.url}/export/nope.csv`, { headers: headersFor('reader') }).then(answer)).toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
    });
  });

  it('pages: the dashboard and the IDE open without a key (they ask for one); a missing asset is a JSON 404', async () => {
    for (const where of ['/', '/graphql']) {
      const response = await fetch(`${server.url}${where}`, { headers: { accept: 'text/html' } });
      expect(response.status, where).toBe(200);
      expect(response.headers.get('content-type'), where).toMatch(/^text\/html/);
    }
    expect(await fetch(`${server.url}/assets/nope.js`).then(answer)).toMatchObject({
      status: 404,
      body: { detail: 'Not Found' },
    });
  });

  it('CSRF rule: GET runs queries (not mutations); POST needs a non-simple Content-Type or a preflight header', async () => {
    const get = (query: string, headers: Record<string, string> = {}) =>
      fetch(`${server.url}/graphql?query=${encodeURIComponent(query)}`, {
        headers: { accept: 'application/json', ...headersFor('reader'), ...headers },
      }).then(answer);
    expect(await get('{ health { healthy } }')).toMatchObject({
      status: 200,
      body: { data: { health: { healthy: true } } },
    });
    expect(await get('{ health { healthy } }', { accept: 'application/graphql-response+json' })).toMatchObject({
      status: 200,
    });
    expect(await get(GRAPHQL['write mutation']!, headersFor('admin'))).toMatchObject({
      status: 405,
      code: 'BAD_REQUEST',
    });
    const post = (headers: Record<string, string>) =>
      fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { ...headersFor('admin'), ...headers },
        body: JSON.stringify({ query: GRAPHQL['write mutation'] }),
      }).then(answer);
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      expect(await post({ 'content-type': type }), type).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    }
    expect(await post({})).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    expect(await post({ 'content-type': 'application/json' })).toMatchObject({ status: 200 });
  });
});

describe('status table: 429 RATE_LIMITED on every door', () => {
  let server: Running;
  beforeAll(async () => {
    server = await start({
      RATE_LIMIT_ENABLED: 'true',
      RATE_LIMIT_EXEMPT_IPS: '',
      RATE_LIMIT_REQUESTS: '1',
      RATE_LIMIT_WINDOW: '300',
    });
  });
  afterAll(async () => server?.stop());

  it("answers 429 once the budget is spent, with each door's code", async () => {
    expect((await postGraphql(server.url, JSON.stringify({ query: '{ health { healthy } }' }))).status).toBe(200);
    expect(await postGraphql(server.url, JSON.stringify({ query: '{ health { healthy } }' }))).toMatchObject({
      status: 429,
      code: 'RATE_LIMITED',
    });
    expect(await fetch(`${server.url}/export/events.csv`).then(answer)).toMatchObject({
      status: 429,
      code: 'RATE_LIMITED',
    });
    expect(await fetch(`${server.url}/events`).then(answer)).toMatchObject({
      status: 429,
      body: { detail: 'Rate limit exceeded: 1 requests per 300 seconds' },
    });
    const handshake = await new Promise<number | undefined>((resolve) => {
      const socket = new WebSocket(wsUrl(server.url), 'graphql-transport-ws');
      socket.on('unexpected-response', (req, res) => {
        resolve(res.statusCode);
        req.destroy();
      });
      socket.on('open', () => resolve(undefined));
      socket.on('error', () => undefined);
    });
    expect(handshake).toBe(429);
  });
});

describe('status table: 503 SERVICE_UNAVAILABLE on every door (the store closed)', () => {
  let server: Running;
  beforeAll(async () => {
    server = await start({});
    await server.store.close();
  });
  afterAll(async () => server?.stop());

  it("answers 503 with SERVICE_UNAVAILABLE (REST: MADSci's detail) and Retry-After: 5", async () => {
    expect(await postGraphql(server.url, JSON.stringify({ query: GRAPHQL['read query'] }))).toMatchObject({
      status: 503,
      code: 'SERVICE_UNAVAILABLE',
      retryAfter: '5',
    });
    expect(await postGraphql(server.url, JSON.stringify({ query: GRAPHQL['write mutation'] }))).toMatchObject({
      status: 503,
      code: 'SERVICE_UNAVAILABLE',
      retryAfter: '5',
    });
    expect(await fetch(`${server.url}/export/events.csv`).then(answer)).toMatchObject({
      status: 503,
      code: 'SERVICE_UNAVAILABLE',
      retryAfter: '5',
    });
    expect(await fetch(`${server.url}/events`).then(answer)).toMatchObject({
      status: 503,
      retryAfter: '5',
      body: { detail: 'The event database is unavailable; try again shortly' },
    });
    const otlp = await fetch(`${server.url}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceLogs: [{ scopeLogs: [{ logRecords: [{ severityNumber: 9, body: { stringValue: 'hello' } }] }] }],
      }),
    });
    expect({ status: otlp.status, retryAfter: otlp.headers.get('retry-after') }).toEqual({
      status: 503,
      retryAfter: '5',
    });
    expect(await wsOnce(server.url, undefined, GRAPHQL['read query']!)).toEqual({ code: 'SERVICE_UNAVAILABLE' });
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
  });
});
