import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EventsConnectionDocument,
  EventsCountDocument,
  LogEventDocument,
  LogEventIdsDocument,
  QueryEventsDocument,
} from './generated/graphql';
import { rest } from './support/rest';
import { startTestServer, type TestServer } from './support/server';
import { RawLiveSocket } from './support/ws-client';
import { STORE_KINDS } from './support/stores';

/** A filter nested `depth` levels deep through `and`. */
function deepFilter(depth: number): Record<string, unknown> {
  let filter: Record<string, unknown> = {};
  for (let i = 0; i < depth; i++) filter = { and: [filter] };
  return filter;
}

/** A JSON object nested `depth` levels deep. */
function deepObject(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

/** Builds a selector nested `depth` levels deep through $and. */
function deepSelector(depth: number): unknown {
  let selector: unknown = { log_level: 20 };
  for (let i = 0; i < depth; i++) selector = { $and: [selector] };
  return selector;
}

describe.each(STORE_KINDS)('bad input on %s', (kind) => {
  let server: TestServer;
  let stored: number;

  beforeAll(async () => {
    server = await startTestServer(kind);
    await server.ok(LogEventDocument, { event: { id: 'keep-me', eventType: 'TEST', eventData: { v: 1 } } });
    stored = (await server.ok(EventsCountDocument, { filter: { archived: 'ALL' } })).events.totalCount;
  });
  afterAll(async () => {
    // Nothing a failed call did changed what was stored.
    expect((await server.ok(EventsCountDocument, { filter: { archived: 'ALL' } })).events.totalCount).toBe(stored);
    await server.stop();
  });

  async function rawQuery(query: string, variables: Record<string, unknown> = {}) {
    const response = await server.post(JSON.stringify({ query, variables }));
    const body = (await response.json()) as { errors?: { message: string; extensions?: Record<string, unknown> }[] };
    expect(JSON.stringify(body)).not.toMatch(/\bat .*\.(ts|js):\d+/); // never a stack trace
    return { status: response.status, errors: body.errors ?? [] };
  }

  it('refuses an unknown enum value with BAD_USER_INPUT', async () => {
    const { errors } = await rawQuery('mutation($e: EventInput!) { logEvent(event: $e) { id } }', {
      e: { eventType: 'NOT_A_TYPE' },
    });
    expect(errors[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(errors[0]?.message).toMatch(/NOT_A_TYPE/);
  });

  it('refuses a malformed date with BAD_USER_INPUT', async () => {
    const { errors } = await rawQuery('mutation($e: EventInput!) { logEvent(event: $e) { id } }', {
      e: { eventTimestamp: '2025-13-45T99:00:00' },
    });
    expect(errors[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const inFilter = await server.gql(EventsConnectionDocument, { filter: { from: 'yesterday' } });
    expect(inFilter.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('refuses a source id that is not a ULID and names the field', async () => {
    const result = await server.gql(LogEventDocument, { event: { source: { nodeId: 'robot-arm-1' } } });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'event.source.nodeId' });
  });

  it('refuses a batch in which one event is invalid, storing none of it', async () => {
    const result = await server.gql(LogEventIdsDocument, {
      events: [{ id: 'fine-1' }, { id: 'fine-2', source: { userId: 'ILLEGAL!' } }],
    });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'events[1].source.userId' });
    const check = await server.gql(QueryEventsDocument, { selector: { _id: { $in: ['fine-1', 'fine-2'] } } });
    expect(check.data?.queryEvents).toEqual([]);
  });

  it('refuses a page size over the cap and a negative one', async () => {
    for (const first of [1001, -1]) {
      const result = await server.gql(EventsConnectionDocument, { first });
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    }
    const limit = await server.gql(QueryEventsDocument, { selector: {}, limit: 5000 });
    expect(limit.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'limit' });
  });

  it('refuses a forged cursor', async () => {
    const result = await server.gql(EventsConnectionDocument, { after: 'bm90LWEtY3Vyc29y' });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it.each([
    ['$where', { $where: 'sleep(1000)' }],
    ['$function', { log_level: { $function: { body: 'return true', args: [], lang: 'js' } } }],
    ['$expr', { $expr: { $gt: ['$log_level', 10] } }],
    ['$accumulator', { x: { $accumulator: {} } }],
    ['an unknown operator', { log_level: { $foo: 1 } }],
    ['an operator inside a literal', { source: { $where: 'x' } }],
    ['a non-object selector', [1, 2]],
    ['an invalid regex', { 'event_data.message': { $regex: '(' } }],
    ['an empty $or', { $or: [] }],
  ])('refuses a selector with %s', async (_name, selector) => {
    const result = await server.gql(QueryEventsDocument, { selector });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'selector' });
  });

  it('refuses a selector nested 30 levels deep', async () => {
    const result = await server.gql(QueryEventsDocument, { selector: deepSelector(30) });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'selector' });
    expect(result.errors?.[0]?.message).toMatch(/nest at most/);
    // A modest depth is fine.
    const ok = await server.gql(QueryEventsDocument, { selector: deepSelector(5) });
    expect(ok.errors).toBeUndefined();
  });

  it('refuses filters nested too deep', async () => {
    let filter: Record<string, unknown> = { minLevel: 'INFO' };
    for (let i = 0; i < 12; i++) filter = { and: [filter] };
    const result = await server.gql(EventsConnectionDocument, { filter });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('refuses input nested thousands deep on every door with a client error, not a crash', async () => {
    // GraphQL over HTTP: a filter 2000 levels deep once overflowed graphql-js's coercion.
    const http = await rawQuery('query($f: EventFilter) { events(filter: $f) { totalCount } }', {
      f: deepFilter(2000),
    });
    expect(http.status).toBe(400);
    expect(http.errors).toEqual([
      expect.objectContaining({
        message: 'Input nests deeper than 100 levels',
        extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'variables' }),
      }),
    ]);
    const data = await rawQuery('mutation($e: EventInput!) { logEvent(event: $e) { id } }', {
      e: { id: 'too-deep', eventData: deepObject(3000) },
    });
    expect(data.errors[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    // Just under the limit is accepted (the variables wrap eventData in two levels).
    const fine = await rawQuery('mutation($e: EventInput!) { logEvent(event: $e) { id } }', {
      e: { id: 'deep-but-fine', eventData: deepObject(90) },
    });
    expect(fine.errors).toEqual([]);
    stored += 1;

    // GraphQL over WebSocket.
    const socket = new RawLiveSocket(server.url);
    try {
      await socket.init();
      const answer = socket.next((m) => m.id === 'deep' && m.type === 'error');
      socket.subscribe('deep', 'subscription($f: EventFilter) { eventLogged(filter: $f) { id } }', {
        f: deepFilter(2000),
      });
      expect((await answer).payload).toEqual([
        expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }),
      ]);
    } finally {
      socket.close();
    }

    // MADSci REST: FastAPI's 422.
    const response = await rest(server.url, 'POST', '/event', { event_type: 'log_info', event_data: deepObject(3000) });
    expect(response.status).toBe(422);
    expect(response.json).toEqual({
      detail: [
        expect.objectContaining({
          type: 'value_error',
          loc: ['body'],
          msg: 'Value error, input nests deeper than 100 levels',
        }),
      ],
    });
  });

  it('answers more than 50 invalid variables with BAD_USER_INPUT, not an internal error', async () => {
    const events = Array.from({ length: 60 }, () => ({ eventType: 'NOT_A_TYPE' }));
    const { errors } = await rawQuery('mutation($e: [EventInput!]!) { logEvents(events: $e) { insertedCount } }', {
      e: events,
    });
    expect(errors.length).toBeGreaterThan(50);
    expect(new Set(errors.map((e) => e.extensions?.code))).toEqual(new Set(['BAD_USER_INPUT']));
  });

  it('refuses a batch of 11 000 events', async () => {
    const events = Array.from({ length: 11_000 }, (_, i) => ({ id: `over-${i}` }));
    const result = await server.gql(LogEventIdsDocument, { events });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'events' });
    expect(result.errors?.[0]?.message).toMatch(/at most 10000/);
  });

  it('refuses a 10 MB request body with 413 and a code', async () => {
    const payload = JSON.stringify({
      query: 'mutation($e: EventInput!) { logEvent(event: $e) { id } }',
      variables: { e: { eventData: { blob: 'x'.repeat(10 * 1024 * 1024) } } },
    });
    const response = await server.post(payload);
    expect(response.status).toBe(413);
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses a body that is not JSON with 400 and a code', async () => {
    const response = await server.post('{"query": ');
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('BAD_REQUEST');
  });
});
