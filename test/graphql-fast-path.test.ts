/**
 * GraphQL's fast path over HTTP (src/app/graphql/fast-path.ts) answers exactly as Apollo does: each
 * request is sent once with the fast path off (Apollo's pipeline) and once with it on, and the two
 * answers must have the same status, the same headers in the same order (the `Date` aside) and the
 * same body bytes. Each case also says which path answered it (the fast path's count of requests
 * served), so a case meant for the fast path cannot pass by falling through to Apollo, and its
 * status and error code are asserted.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../src/core/api-keys';
import { Role } from '../src/core/roles';
import { FAST_PATH_ACCEPT } from '../src/app/graphql/fast-path';
import { startTestServer, type TestServer } from './support/server';
import { STORE_KINDS } from './support/stores';

const KEYS = { reader: 'reader-key-0123456789', writer: 'writer-key-0123456789' } as const;
const READER = { authorization: `Bearer ${KEYS.reader}` };
const WRITER = { 'x-api-key': KEYS.writer };

const ID = '01JFASTPATH00000000000000A';
const EVENT_FIELDS = `id eventType logLevel logLevelValue alert eventTimestamp receivedAt
  source { nodeId workcellId } eventData traceId spanId archived archivedAt`;
const EVENT = `query Event($id: ID!) { event(id: $id) { ${EVENT_FIELDS} } }`;

/** One request: its body (an object, or raw text), headers, and what must come back. */
interface Case {
  name: string;
  body: unknown;
  headers?: Record<string, string>;
  /** Whether the fast path answers it (else Apollo does, the fast path having stepped aside). */
  fast: boolean;
  status: number;
  /** The first error's code, or null for an answer without errors. */
  code: string | null;
}

const CASES: Case[] = [
  {
    name: 'event(id), found',
    body: { query: EVENT, variables: { id: ID } },
    headers: READER,
    fast: true,
    status: 200,
    code: null,
  },
  {
    name: 'event(id), missing (null)',
    body: { query: EVENT, variables: { id: 'nope' } },
    headers: READER,
    fast: true,
    status: 200,
    code: null,
  },
  {
    name: 'eventPage(limit: 2)',
    body: { query: `{ eventPage(limit: 2) { items { ${EVENT_FIELDS} } limit offset totalCount } }` },
    headers: READER,
    fast: true,
    status: 200,
    code: null,
  },
  { name: '{ __typename }', body: { query: '{ __typename }' }, headers: READER, fast: true, status: 200, code: null },
  {
    name: 'a named operation of two, variables null',
    body: {
      query: 'query A { __typename } query B { eventPage(limit: 1) { limit } }',
      operationName: 'B',
      variables: null,
    },
    headers: READER,
    fast: true,
    status: 200,
    code: null,
  },
  {
    name: 'mutation logEvent (idempotent on its id)',
    body: {
      query: 'mutation Log($e: EventInput!) { logEvent(event: $e) { id eventType } }',
      variables: { e: { id: ID, eventType: 'TEST' } },
    },
    headers: WRITER,
    fast: true,
    status: 200,
    code: null,
  },
  // A resolver's error: no data, so the status is the code's.
  {
    name: 'BAD_USER_INPUT from the service',
    body: { query: '{ eventPage(offset: -1) { limit } }' },
    headers: READER,
    fast: true,
    status: 400,
    code: 'BAD_USER_INPUT',
  },
  // Two root fields, one failing: non-null, so data is null too.
  {
    name: 'two fields, one failing',
    body: {
      query: `query P($id: ID!) { a: event(id: $id) { id } b: eventPage(offset: -1) { limit } }`,
      variables: { id: ID },
    },
    headers: READER,
    fast: true,
    status: 400,
    code: 'BAD_USER_INPUT',
  },
  // Everything refused before execution goes to Apollo.
  {
    name: 'validation error',
    body: { query: '{ nope }' },
    headers: READER,
    fast: false,
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    name: 'syntax error',
    body: { query: '{ event(' },
    headers: READER,
    fast: false,
    status: 400,
    code: 'GRAPHQL_PARSE_FAILED',
  },
  {
    name: 'variables invalid',
    body: { query: EVENT, variables: {} },
    headers: READER,
    fast: false,
    status: 400,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'variables of the wrong type',
    body: { query: EVENT, variables: { id: { no: 1 } } },
    headers: READER,
    fast: false,
    status: 400,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'FORBIDDEN (a reader logs an event)',
    body: {
      query: 'mutation Log($e: EventInput!) { logEvent(event: $e) { id eventType } }',
      variables: { e: { eventType: 'TEST' } },
    },
    headers: READER,
    fast: false,
    status: 403,
    code: 'FORBIDDEN',
  },
  {
    name: 'UNAUTHENTICATED (no key)',
    body: { query: EVENT, variables: { id: ID } },
    fast: false,
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'UNAUTHENTICATED (a wrong key)',
    body: { query: EVENT, variables: { id: ID } },
    headers: { authorization: 'Bearer not-a-key-of-this-server' },
    fast: false,
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'cost too high',
    body: {
      query: 'query Many($ids: [ID!]!) { eventsByIds(ids: $ids) { id source { nodeId } eventData } }',
      variables: { ids: Array.from({ length: 15_000 }, (_, i) => `id${i}`) },
    },
    headers: READER,
    fast: false,
    status: 400,
    code: 'QUERY_TOO_COMPLEX',
  },
  {
    name: 'an unknown operation name',
    body: { query: '{ __typename }', operationName: 'Other' },
    headers: READER,
    fast: false,
    status: 400,
    code: 'OPERATION_RESOLUTION_FAILURE',
  },
  {
    name: 'an empty operation name',
    body: { query: '{ __typename }', operationName: '' },
    headers: READER,
    fast: false,
    status: 400,
    code: 'OPERATION_RESOLUTION_FAILURE',
  },
  {
    name: 'a subscription over HTTP',
    body: { query: 'subscription { eventLogged { id } }' },
    headers: READER,
    fast: false,
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'extensions (APQ and others)',
    body: { query: '{ __typename }', extensions: {} },
    headers: READER,
    fast: false,
    status: 200,
    code: null,
  },
  {
    name: 'a batch',
    body: [{ query: '{ __typename }' }],
    headers: READER,
    fast: false,
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'variables as a string',
    body: { query: EVENT, variables: JSON.stringify({ id: ID }) },
    headers: READER,
    fast: false,
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'an Accept Apollo cannot serve',
    body: { query: '{ __typename }' },
    headers: { ...READER, accept: 'text/csv' },
    fast: false,
    status: 406,
    code: 'BAD_REQUEST',
  },
  // CORS and the content types of the Accept headers the fast path knows.
  {
    name: 'a cross-origin reader',
    body: { query: EVENT, variables: { id: ID } },
    headers: { ...READER, origin: 'https://elsewhere.example' },
    fast: true,
    status: 200,
    code: null,
  },
  ...[...FAST_PATH_ACCEPT.keys()].map((accept): Case => ({
    name: `Accept: ${JSON.stringify(accept)}`,
    body: { query: EVENT, variables: { id: ID } },
    headers: { ...READER, accept },
    fast: true,
    status: 200,
    code: null,
  })),
];

/** An answer as it went over the wire. */
interface Wire {
  status: number;
  /** Raw header names and values in order, `Date` left out (it is the clock's). */
  headers: string[];
  body: string;
}

function send(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Wire> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${url}/graphql`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const raw: string[] = [];
          for (let i = 0; i < response.rawHeaders.length; i += 2) {
            if (response.rawHeaders[i]!.toLowerCase() === 'date') continue;
            raw.push(`${response.rawHeaders[i]}: ${response.rawHeaders[i + 1]}`);
          }
          resolve({ status: response.statusCode!, headers: raw, body: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

/** Sends `c` once through Apollo (which hands its document to the fast path), then without and with the fast path. */
async function bothWays(
  server: TestServer,
  c: Pick<Case, 'body' | 'headers' | 'fast'>,
): Promise<{ apollo: Wire; fast: Wire }> {
  const fastPath = server.handle.graphqlFastPath;
  await send(server.url, c.body, c.headers);
  fastPath.enabled = false;
  const servedBefore = fastPath.served;
  const apollo = await send(server.url, c.body, c.headers);
  expect(fastPath.served).toBe(servedBefore);
  fastPath.enabled = true;
  const fast = await send(server.url, c.body, c.headers);
  expect(fastPath.served - servedBefore).toBe(c.fast ? 1 : 0);
  return { apollo, fast };
}

describe.each(STORE_KINDS)('the GraphQL fast path answers as Apollo on %s', (kind) => {
  let server: TestServer;

  beforeAll(async () => {
    const keys = [hashApiKey(Role.READER, KEYS.reader), hashApiKey(Role.WRITER, KEYS.writer)];
    server = await startTestServer(kind, { API_KEYS: keys.join(','), CORS_ORIGINS: '*' });
    const logged = await send(
      server.url,
      {
        query: 'mutation Log($e: EventInput!) { logEvent(event: $e) { id } }',
        variables: {
          e: {
            id: ID,
            eventType: 'TEST',
            eventData: { message: 'fast', n: [1, 2.5, null] },
            source: { nodeId: '01JFASTPATHNDE000000000000' },
          },
        },
      },
      WRITER,
    );
    expect(logged.status).toBe(200);
  });
  afterAll(async () => server?.stop());

  for (const c of CASES) {
    it(c.name, async () => {
      const { apollo, fast } = await bothWays(server, c);
      expect(fast).toEqual(apollo);
      expect(fast.status).toBe(c.status);
      const json = JSON.parse(fast.body) as { errors?: { extensions?: { code?: string } }[] };
      expect(json.errors?.[0]?.extensions?.code ?? null).toBe(c.code);
    });
  }
});

describe('the GraphQL fast path during a store outage', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('sqlite');
  });
  afterAll(async () => server?.stop());

  it('answers SERVICE_UNAVAILABLE with 503 and Retry-After, as Apollo', async () => {
    const c = { body: { query: EVENT, variables: { id: ID } }, fast: true };
    await send(server.url, c.body); // Apollo validates the document while the store is up
    await server.handle.services.store.close();
    const { apollo, fast } = await bothWays(server, c);
    expect(fast).toEqual(apollo);
    expect(fast.status).toBe(503);
    expect(fast.headers).toContain('retry-after: 5');
    expect(JSON.parse(fast.body).errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
  });
});
