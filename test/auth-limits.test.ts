import { createClient } from 'graphql-ws';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { hashApiKey } from '../src/core/api-keys';
import { Role } from '../src/core/roles';
import { startTestServer, type TestServer } from './support/server';
import { wsUrl } from './support/ws-client';

const KEYS = {
  reader: 'reader-key-0123456789',
  writer: 'writer-key-0123456789',
  admin: 'admin-key-0123456789',
} as const;
type Who = keyof typeof KEYS | 'anonymous' | 'bad key';

/** One operation of each class, with the role it needs. */
const GRAPHQL_CASES: { name: string; query: string; variables?: Record<string, unknown>; needs: Role }[] = [
  { name: 'query events', query: '{ events(first: 1) { nodes { id } } }', needs: Role.READER },
  { name: 'query health', query: '{ health { healthy } }', needs: Role.READER },
  { name: 'introspection', query: '{ __schema { queryType { name } } }', needs: Role.READER },
  { name: 'mutation logEvent', query: 'mutation { logEvent(event: { eventType: TEST }) { id } }', needs: Role.WRITER },
  {
    name: 'mutation logEvents',
    query: 'mutation { logEvents(events: [{ eventType: TEST }]) { insertedCount } }',
    needs: Role.WRITER,
  },
  {
    name: 'mutation archiveEvents',
    query: 'mutation { archiveEvents(ids: ["none"]) { archivedCount } }',
    needs: Role.ADMIN,
  },
  {
    name: 'mutation purgeArchivedEvents',
    query: 'mutation { purgeArchivedEvents(olderThanDays: 3650) { deletedCount } }',
    needs: Role.ADMIN,
  },
];

const RANK: Record<Who, number> = { anonymous: 0, 'bad key': -1, reader: 1, writer: 2, admin: 3 };
const NEEDS: Record<Role, number> = { [Role.READER]: 1, [Role.WRITER]: 2, [Role.ADMIN]: 3 };
const WHO: Who[] = ['anonymous', 'bad key', 'reader', 'writer', 'admin'];

function headersFor(who: Who): Record<string, string> {
  if (who === 'anonymous') return {};
  if (who === 'bad key') return { authorization: 'Bearer not-a-configured-key' };
  // Both header styles are accepted; alternate to cover them.
  return who === 'writer' ? { 'x-api-key': KEYS[who] } : { authorization: `Bearer ${KEYS[who]}` };
}

/** The code a caller must get: null when allowed. */
function expectedCode(who: Who, needs: Role): string | null {
  if (RANK[who] >= NEEDS[needs]) return null;
  return who === 'anonymous' || who === 'bad key' ? 'UNAUTHENTICATED' : 'FORBIDDEN';
}

describe('access control with API keys', () => {
  let server: TestServer;

  let exportDir: string;

  beforeAll(async () => {
    const entries = (Object.keys(KEYS) as (keyof typeof KEYS)[]).map((role) => hashApiKey(role as Role, KEYS[role]));
    exportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-events-auth-exports-'));
    server = await startTestServer('sqlite', { API_KEYS: entries.join(','), EXPORT_DIR: exportDir });
  });
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(exportDir, { recursive: true, force: true });
  });

  for (const who of WHO) {
    for (const op of GRAPHQL_CASES) {
      it(`GraphQL over HTTP: ${who} ${expectedCode(who, op.needs) ? 'is refused' : 'may run'} ${op.name}`, async () => {
        const response = await server.post(
          JSON.stringify({ query: op.query, variables: op.variables }),
          headersFor(who),
        );
        const body = (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
        const code = expectedCode(who, op.needs);
        if (code === null) {
          expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
        } else {
          expect(body.errors?.[0]?.extensions?.code).toBe(code);
          if (who === 'bad key') expect(response.status).toBe(401);
        }
      });
    }
  }

  it('stores nothing for a refused mutation', async () => {
    const response = await server.post(
      JSON.stringify({ query: 'mutation { logEvent(event: { id: "refused-1" }) { id } }' }),
      headersFor('reader'),
    );
    expect(((await response.json()) as { errors: unknown[] }).errors).toHaveLength(1);
    const check = await server.post(
      JSON.stringify({ query: '{ event(id: "refused-1") { id } }' }),
      headersFor('admin'),
    );
    expect(await check.json()).toEqual({ data: { event: null } });
  });

  it('checks the role of a document asked for first under an empty operation name', async () => {
    // An operation name of '' matches no operation (graphql-js refuses it); the role checks cached
    // for that request must not stand for the same document asked for without a name.
    const query = 'mutation { logEvent(event: { id: "unnamed-1" }) { id } }';
    const named = await server.post(JSON.stringify({ query, operationName: '' }), headersFor('anonymous'));
    expect(named.status).toBe(400);
    const unnamed = await server.post(JSON.stringify({ query }), headersFor('anonymous'));
    expect(unnamed.status).toBe(401);
    expect(((await unnamed.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe(
      'UNAUTHENTICATED',
    );
    const check = await server.post(
      JSON.stringify({ query: '{ event(id: "unnamed-1") { id } }' }),
      headersFor('admin'),
    );
    expect(await check.json()).toEqual({ data: { event: null } });
  });

  for (const who of WHO) {
    it(`REST: ${who} gets each route class as its role allows`, async () => {
      const cases: [string, RequestInit, Role][] = [
        ['/events', { method: 'GET' }, Role.READER],
        ['/utilization/sessions?csv_format=true', { method: 'GET' }, Role.READER],
        // Writing the report on the server is admin work, as exportUtilizationReport.
        [
          `/utilization/sessions?csv_format=true&save_to_file=true&output_path=${encodeURIComponent(exportDir)}`,
          { method: 'GET' },
          Role.ADMIN,
        ],
        [
          '/event',
          {
            method: 'POST',
            body: JSON.stringify({ event_type: 'test' }),
            headers: { 'content-type': 'application/json' },
          },
          Role.WRITER,
        ],
        ['/events/archived?older_than_days=3650', { method: 'DELETE' }, Role.ADMIN],
      ];
      for (const [path, init, needs] of cases) {
        const response = await fetch(`${server.url}${path}`, {
          ...init,
          headers: { ...(init.headers as Record<string, string>), ...headersFor(who) },
        });
        const code = expectedCode(who, needs);
        expect(response.status, `${init.method} ${path}`).toBe(
          code === null ? 200 : code === 'UNAUTHENTICATED' ? 401 : 403,
        );
      }
    });
  }

  it('guards exports like queries', async () => {
    expect((await fetch(`${server.url}/export/events.ndjson`)).status).toBe(401);
    expect((await fetch(`${server.url}/export/events.ndjson`, { headers: headersFor('reader') })).status).toBe(200);
  });

  /** Runs one subscription until its first result or error. */
  function subscribeOnce(
    params: Record<string, unknown> | undefined,
    query: string,
  ): Promise<{ code?: string; closed?: number; data?: unknown }> {
    return new Promise((resolve) => {
      const client = createClient({
        url: wsUrl(server.url),
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        connectionParams: params,
        on: { closed: (event) => resolve({ closed: (event as { code: number }).code }) },
      });
      client.subscribe(
        { query },
        {
          next: (value) => {
            resolve({
              data: value.data,
              ...(value.errors ? { code: value.errors[0]?.extensions?.code as string } : {}),
            });
            void client.dispose();
          },
          error: (error) => {
            const errors = error as { extensions?: { code?: string } }[];
            resolve({ code: Array.isArray(errors) ? errors[0]?.extensions?.code : 'CLOSED' });
            void client.dispose();
          },
          complete: () => undefined,
        },
      );
    });
  }

  /** graphql-ws connectionParams for a caller; the three accepted spellings, in turn. */
  function paramsFor(who: Who): Record<string, unknown> | undefined {
    if (who === 'anonymous') return undefined;
    if (who === 'bad key') return { 'X-API-Key': 'not-a-configured-key' };
    if (who === 'reader') return { Authorization: `Bearer ${KEYS.reader}` };
    return who === 'writer' ? { apiKey: KEYS.writer } : { 'X-API-Key': KEYS.admin };
  }

  const WS_CASES = [
    ...GRAPHQL_CASES,
    { name: 'subscription eventLogged', query: 'subscription { eventLogged { id } }', needs: Role.READER },
  ];
  for (const who of WHO) {
    it(`WebSocket: ${who} gets each operation class as its role allows${who === 'bad key' ? ' (the socket is closed with 4403)' : ''}`, async () => {
      for (const op of WS_CASES) {
        // An admitted subscription yields its first event once one is logged: keep logging until then.
        const logging = op.query.startsWith('subscription')
          ? setInterval(
              () =>
                void server.post(
                  JSON.stringify({ query: 'mutation { logEvent(event: { eventType: TEST }) { id } }' }),
                  headersFor('admin'),
                ),
              100,
            )
          : undefined;
        const outcome = await subscribeOnce(paramsFor(who), op.query).finally(() => clearInterval(logging));
        const code = expectedCode(who, op.needs);
        if (who === 'bad key') expect(outcome, op.name).toEqual({ closed: 4403 });
        else if (code === null) expect(outcome, op.name).toEqual({ data: expect.anything() });
        else expect(outcome, op.name).toEqual({ code });
      }
    });
  }
});

describe('query limits on every door', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer('sqlite', {
      MAX_QUERY_DEPTH: '3',
      MAX_ALIASES: '3',
      MAX_QUERY_COST: '5000',
      MAX_QUERY_TOKENS: '200',
    });
  });
  afterAll(async () => server?.stop());

  async function codeOf(query: string, variables?: Record<string, unknown>): Promise<string | undefined> {
    const response = await server.post(JSON.stringify({ query, variables }));
    const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
    return body.errors?.[0]?.extensions?.code;
  }

  it('refuses a query deeper than the limit', async () => {
    expect(await codeOf('{ events { nodes { id } } }')).toBeUndefined();
    expect(await codeOf('{ events { edges { node { source { nodeId } } } } }')).toBe('QUERY_TOO_COMPLEX');
  });

  it('applies the same rules to subscriptions over WebSocket', async () => {
    const client = createClient({ url: wsUrl(server.url), webSocketImpl: WebSocket, retryAttempts: 0 });
    try {
      const code = await new Promise<string | undefined>((resolve) => {
        client.subscribe(
          {
            query: 'query { a: health { healthy } b: health { healthy } c: health { healthy } d: health { healthy } }',
          },
          {
            next: (v) => resolve(v.errors ? 'errors' : 'next'),
            error: (e) => resolve((e as { extensions?: { code?: string } }[])[0]?.extensions?.code),
            complete: () => resolve('complete'),
          },
        );
      });
      expect(code).toBe('QUERY_TOO_COMPLEX');
      const deep = await new Promise<string | undefined>((resolve) => {
        client.subscribe(
          { query: 'query { events { edges { node { source { nodeId } } } } }' },
          {
            next: (v) => resolve(v.errors ? 'errors' : 'next'),
            error: (e) => resolve((e as { extensions?: { code?: string } }[])[0]?.extensions?.code),
            complete: () => undefined,
          },
        );
      });
      expect(deep).toBe('QUERY_TOO_COMPLEX');
      const invalid = await new Promise<string | undefined>((resolve) => {
        client.subscribe(
          { query: 'subscription { a: eventLogged { id } b: eventLogged { id } }' },
          {
            next: () => resolve('next'),
            error: (e) => resolve((e as { extensions?: { code?: string } }[])[0]?.extensions?.code),
            complete: () => undefined,
          },
        );
      });
      expect(invalid).toBe('GRAPHQL_VALIDATION_FAILED');
    } finally {
      await client.dispose();
    }
  });

  it('stops parsing a document of more tokens than allowed, on both doors', async () => {
    // 60 fields of 4 tokens each, plus braces: past 200 tokens, though shallow and alias-free.
    const long = `{ ${Array.from({ length: 60 }, () => 'health { healthy }').join(' ')} }`;
    expect(await codeOf('{ health { healthy } }')).toBeUndefined();
    expect(await codeOf(long)).toBe('GRAPHQL_PARSE_FAILED');
    const client = createClient({ url: wsUrl(server.url), webSocketImpl: WebSocket, retryAttempts: 0 });
    try {
      const code = await new Promise<string | undefined>((resolve) => {
        client.subscribe(
          { query: long },
          {
            next: () => resolve('next'),
            error: (e) => resolve((e as { extensions?: { code?: string } }[])[0]?.extensions?.code),
            complete: () => undefined,
          },
        );
      });
      expect(code).toBe('GRAPHQL_PARSE_FAILED');
    } finally {
      await client.dispose();
    }
  });

  it('refuses too many aliases', async () => {
    expect(await codeOf('{ a: health { healthy } b: health { healthy } c: health { healthy } }')).toBeUndefined();
    expect(
      await codeOf('{ a: health { healthy } b: health { healthy } c: health { healthy } d: health { healthy } }'),
    ).toBe('QUERY_TOO_COMPLEX');
  });

  it('refuses a query whose cost grows past the limit with its page size, counting variables', async () => {
    const query = 'query($n: Int) { events(first: $n) { nodes { id eventType logLevel alert eventTimestamp } } }';
    expect(await codeOf(query, { n: 10 })).toBeUndefined();
    expect(await codeOf(query, { n: 1000 })).toBe('QUERY_TOO_COMPLEX');
  });
});

describe('per-client rate limiting on every door', () => {
  let server: TestServer;

  beforeAll(async () => {
    // Loopback is exempt by default; exempt nobody so the test client is limited. The windows are
    // long enough that no request of the test ages out of them.
    server = await startTestServer('sqlite', {
      RATE_LIMIT_ENABLED: 'true',
      RATE_LIMIT_EXEMPT_IPS: '',
      RATE_LIMIT_REQUESTS: '7',
      RATE_LIMIT_WINDOW: '300',
      RATE_LIMIT_SHORT_REQUESTS: '100',
      RATE_LIMIT_SHORT_WINDOW: '1',
    });
  });
  afterAll(async () => server?.stop());

  it('counts GraphQL over HTTP, graphql-ws operations and REST routes against one budget per client', async () => {
    const query = JSON.stringify({ query: '{ health { healthy } }' });
    // Two GraphQL requests, with MADSci's headers on each answer.
    const first = await server.post(query);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit')).toBe('7');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('6');
    expect((await server.post(query)).headers.get('x-ratelimit-remaining')).toBe('5');
    // Two REST requests from the same client draw on the same budget.
    expect((await fetch(`${server.url}/health`)).headers.get('x-ratelimit-remaining')).toBe('4');
    expect((await fetch(`${server.url}/health`)).headers.get('x-ratelimit-remaining')).toBe('3');

    // The WebSocket handshake and two operations over it count too; the third operation is
    // refused with RATE_LIMITED (the socket stays open).
    const client = createClient({ url: wsUrl(server.url), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    const run = () =>
      new Promise<string>((resolve) => {
        client.subscribe(
          { query: '{ health { healthy } }' },
          {
            next: (v) => resolve(v.errors ? 'errors' : 'next'),
            error: (e) => resolve((e as { extensions?: { code?: string } }[])[0]?.extensions?.code ?? 'error'),
            complete: () => undefined,
          },
        );
      });
    try {
      expect(await run()).toBe('next');
      expect(await run()).toBe('next');
      expect(await run()).toBe('RATE_LIMITED');
    } finally {
      await client.dispose();
    }

    // The budget is spent: GraphQL over HTTP answers 429 with a code and MADSci's headers...
    const limited = await server.post(query);
    expect(limited.status).toBe(429);
    expect(await limited.json()).toEqual({
      errors: [{ message: 'Rate limit exceeded: 7 requests per 300 seconds', extensions: { code: 'RATE_LIMITED' } }],
    });
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // ...and so do the REST routes and the downloads, in their own shapes.
    const rest = await fetch(`${server.url}/health`);
    expect(rest.status).toBe(429);
    expect(await rest.json()).toEqual({ detail: 'Rate limit exceeded: 7 requests per 300 seconds' });
    expect((await fetch(`${server.url}/export/events.csv`)).status).toBe(429);
    // A new WebSocket handshake gets MADSci's 429 instead of the upgrade.
    const refusedUpgrade = await new Promise<{ status?: number; limit?: string }>((resolve) => {
      const socket = new WebSocket(wsUrl(server.url), 'graphql-transport-ws');
      socket.on('unexpected-response', (req, res) => {
        resolve({ status: res.statusCode, limit: res.headers['x-ratelimit-limit'] as string });
        req.destroy();
      });
      socket.on('open', () => resolve({}));
      socket.on('error', () => undefined);
    });
    expect(refusedUpgrade).toEqual({ status: 429, limit: '7' });
    // The probes are never limited.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});
