import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { GraphQLError, locatedError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { failDownload } from '../../src/app/downloads/export.router';
import { bodyErrorHandler } from '../../src/app/http/body-errors';
import { restErrorHandler } from '../../src/app/rest/error-handler';
import { RequestValidationError } from '../../src/app/rest/rest.errors';
import type { MadsciRouterOptions } from '../../src/app/rest/rest.route';
import { graphqlErrorCode, makeFormatError, toGraphQLError } from '../../src/app/graphql/graphql-errors';
import {
  AppError,
  appErrorOf,
  BadUserInputError,
  ErrorCode,
  ForbiddenError,
  NotFoundError,
  QueryTooComplexError,
  RateLimitedError,
  ServiceUnavailableError,
  StoreUnavailableError,
  UnauthenticatedError,
} from '../../src/core/errors';
import { createLogger } from '../../src/core/logger';
import { isMongoUnavailable, toStoreError } from '../../src/store/mongo/mongo-errors';
import { translateStoreErrors } from '../../src/store/translate-errors';
import type { EventStore } from '../../src/store/event-store';
import type { Config } from '../../src/core/config';

describe('the error vocabulary', () => {
  it('gives each error its stable code, HTTP status and extensions', () => {
    const cases: [AppError, ErrorCode, number][] = [
      [new BadUserInputError('limit must be between 0 and 1000, got -1', 'limit'), ErrorCode.BAD_USER_INPUT, 400],
      [new UnauthenticatedError(), ErrorCode.UNAUTHENTICATED, 401],
      [new ForbiddenError('archiveEvents needs the admin role'), ErrorCode.FORBIDDEN, 403],
      [new NotFoundError('Event with ID x not found'), ErrorCode.NOT_FOUND, 404],
      [new QueryTooComplexError('Query cost 9 exceeds the maximum of 8'), ErrorCode.QUERY_TOO_COMPLEX, 400],
      [new RateLimitedError('Rate limit exceeded: 300 requests per 60 seconds'), ErrorCode.RATE_LIMITED, 429],
      [new ServiceUnavailableError(), ErrorCode.SERVICE_UNAVAILABLE, 503],
      [new StoreUnavailableError(new Error('connect ECONNREFUSED')), ErrorCode.SERVICE_UNAVAILABLE, 503],
    ];
    for (const [error, code, status] of cases) {
      expect([error.code, error.status]).toEqual([code, status]);
      expect(error.name).toBe(error.constructor.name);
    }
    expect(new BadUserInputError('bad', 'events[3].source.nodeId').extensions).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'events[3].source.nodeId',
    });
    expect(new UnauthenticatedError().extensions).toEqual({ code: 'UNAUTHENTICATED' });
  });

  it('keeps the driver error of an outage as the cause, and the caller-facing message fixed', () => {
    const driver = new Error('connection 3 to 127.0.0.1:27017 closed');
    const error = new StoreUnavailableError(driver);
    expect(error.message).toBe('The event database is unavailable; try again shortly');
    expect(error.cause).toBe(driver);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
  });

  it('finds the AppError inside what graphql-js and Apollo wrap around it, and nothing in a bug', () => {
    const own = new BadUserInputError('after: no event has the id "x"', 'after');
    const located = locatedError(own, undefined, ['events']);
    const validation = new GraphQLError('wrapped again', { originalError: located });
    expect(appErrorOf(validation)).toBe(own);
    expect(appErrorOf(new TypeError('undefined is not a function'))).toBeNull();
    expect(appErrorOf('a string')).toBeNull();
    // graphql-js copies the original's extensions, so the code survives without GraphQL in the services.
    expect(located.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'after' });
  });
});

describe('GraphQL error mapping', () => {
  it('answers each kind of error with the code the client sees', () => {
    expect(graphqlErrorCode(locatedError(new StoreUnavailableError(), undefined, ['event']))).toBe(
      'SERVICE_UNAVAILABLE',
    );
    // Apollo re-codes validation errors; a rule of ours keeps its own code.
    const rule = new GraphQLError('A document may use at most 30 aliases', {
      originalError: toGraphQLError(new QueryTooComplexError('A document may use at most 30 aliases')),
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    expect(graphqlErrorCode(rule)).toBe('QUERY_TOO_COMPLEX');
    expect(
      graphqlErrorCode(
        new GraphQLError('Cannot query field "nope" on type "Query".', {
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
        }),
      ),
    ).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(
      graphqlErrorCode(
        new GraphQLError('Too many errors processing variables, error limit reached. Execution aborted.'),
      ),
    ).toBe('BAD_USER_INPUT');
    expect(
      graphqlErrorCode(locatedError(new RangeError('Maximum call stack size exceeded'), undefined, ['events'])),
    ).toBe('INTERNAL_SERVER_ERROR');
  });

  it('formats internal errors without their message in production, and never with a stack trace', () => {
    const reported: unknown[] = [];
    const format = makeFormatError({ hideInternals: true, onInternalError: (error) => reported.push(error) });
    const bug = new TypeError('secret path /srv/app.js');
    const formatted = format(
      { message: bug.message, extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at x'] } },
      locatedError(bug, undefined, ['events']),
    );
    expect(formatted).toEqual({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(reported).toEqual([bug]);

    const bad = new BadUserInputError('first must be between 0 and 1000, got 5000', 'first');
    expect(
      format(
        { message: bad.message, path: ['events'], extensions: { ...bad.extensions, stacktrace: ['at y'] } },
        locatedError(bad, undefined, ['events']),
      ),
    ).toEqual({
      message: 'first must be between 0 and 1000, got 5000',
      path: ['events'],
      extensions: { code: 'BAD_USER_INPUT', field: 'first' },
    });
    expect(reported).toHaveLength(1);
  });

  it('turns an AppError into a GraphQLError carrying its HTTP status when asked', () => {
    const error = toGraphQLError(new ForbiddenError('purgeArchivedEvents needs the admin role'), { http: true });
    expect(error.extensions).toEqual({ code: 'FORBIDDEN', http: { status: 403 } });
    expect(toGraphQLError(new RateLimitedError('Rate limit exceeded')).extensions).toEqual({ code: 'RATE_LIMITED' });
  });
});

describe('MongoDB outages in the store', () => {
  const named = (name: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(name), { name }, extra);

  it('recognises the driver errors of an unreachable server, and only those', () => {
    expect(isMongoUnavailable(named('MongoServerSelectionError'))).toBe(true);
    expect(isMongoUnavailable(named('MongoPoolClearedError'))).toBe(true);
    // A bulk write cut off by the network: no write errors, a socket error inside.
    const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    expect(isMongoUnavailable(named('MongoBulkWriteError', { writeErrors: [], errorResponse: epipe }))).toBe(true);
    // Duplicate keys are the caller's, not an outage.
    expect(
      isMongoUnavailable(named('MongoBulkWriteError', { writeErrors: [{ code: 11000 }], errorResponse: epipe })),
    ).toBe(false);
    // A bare socket error is not the database's.
    expect(isMongoUnavailable(epipe)).toBe(false);
    expect(isMongoUnavailable(named('MongoServerError'))).toBe(false);
  });

  it('translates the rejections and stream failures of every store call, and leaves other errors alone', async () => {
    const outage = named('MongoNetworkError');
    class FlakyStore {
      async count(): Promise<number> {
        throw outage;
      }
      async find(): Promise<never> {
        throw new Error('unknown operator: $where');
      }
      async *stream(): AsyncIterable<number> {
        yield 1;
        throw outage;
      }
    }
    translateStoreErrors(FlakyStore as unknown as { prototype: EventStore }, toStoreError);
    const store = new FlakyStore();
    const counted = await store.count().catch((error: unknown) => error);
    expect(counted).toBeInstanceOf(StoreUnavailableError);
    expect((counted as StoreUnavailableError).cause).toBe(outage);
    await expect(store.find()).rejects.toThrow('unknown operator: $where');
    const seen: number[] = [];
    const streamed = await (async () => {
      for await (const item of store.stream()) seen.push(item);
    })().catch((error: unknown) => error);
    expect(seen).toEqual([1]);
    expect(streamed).toBeInstanceOf(StoreUnavailableError);
  });
});

describe('REST error mapping', () => {
  /** A one-route Express app throwing `error`, answered by the REST door's handler. */
  async function answer(
    error: unknown,
    path = '/events?number=-1',
  ): Promise<{ status: number; type: string | null; body: string }> {
    const app = express();
    app.get('/events', () => {
      throw error;
    });
    const options = {
      logger: createLogger('silent'),
      config: { limits: { maxBodyBytes: 1024 } },
    } as unknown as MadsciRouterOptions;
    app.use(restErrorHandler(options));
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`);
      return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
    } finally {
      server.close();
    }
  }

  it('answers bad input as FastAPI does, in MADSci field names, placed where the input came from', async () => {
    const bad = await answer(new BadUserInputError('limit must be between 0 and 1000, got -1', 'limit'));
    expect(bad.status).toBe(422);
    expect(JSON.parse(bad.body)).toEqual({
      detail: [
        {
          type: 'value_error',
          loc: ['query', 'number'],
          msg: 'Value error, limit must be between 0 and 1000, got -1',
          input: '-1',
        },
      ],
    });
    const source = await answer(new BadUserInputError('source.nodeId must be a ULID, got "x"', 'event.source.nodeId'));
    expect(JSON.parse(source.body).detail[0]).toMatchObject({
      loc: ['body', 'source', 'node_id'],
      msg: 'Value error, source.node_id must be a ULID, got "x"',
    });
    // Only the field the error names is renamed; other words of the message stay as written.
    const other = await answer(
      new BadUserInputError('olderThanDays must be an integer, not someValue', 'olderThanDays'),
    );
    expect(JSON.parse(other.body).detail[0].msg).toBe('Value error, older_than_days must be an integer, not someValue');
    const issues = await answer(
      new RequestValidationError([{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }]),
    );
    expect([issues.status, JSON.parse(issues.body)]).toEqual([
      422,
      { detail: [{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }] },
    ]);
  });

  it('answers outages with 503, other AppErrors with their status, and bugs with a plain 500', async () => {
    const outage = await answer(new StoreUnavailableError(new Error('socket hang up')));
    expect([outage.status, JSON.parse(outage.body)]).toEqual([
      503,
      { detail: 'The event database is unavailable; try again shortly' },
    ]);
    const missing = await answer(new NotFoundError('Event with ID 01J not found'));
    expect([missing.status, JSON.parse(missing.body)]).toEqual([404, { detail: 'Event with ID 01J not found' }]);
    const bug = await answer(new TypeError('secret'));
    expect([bug.status, bug.type, bug.body]).toEqual([500, 'text/plain; charset=utf-8', 'Internal Server Error']);
  });
});

describe('download error mapping', () => {
  /** `/export/events.csv` failing with `error` before it streams, answered as the server answers downloads. */
  async function answer(error: unknown): Promise<{ status: number; body: unknown }> {
    const app = express();
    app.get('/export/events.csv', (_req, res, next) => failDownload(res, next, error));
    app.use(bodyErrorHandler({ limits: { maxBodyBytes: 1024 } } as Config));
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/export/events.csv`);
      return { status: response.status, body: await response.json() };
    } finally {
      server.close();
    }
  }

  it('answers each AppError with its status and a GraphQL-shaped body, and a bug with 500', async () => {
    expect(await answer(new BadUserInputError('filter must be an EventFilter as JSON', 'filter'))).toEqual({
      status: 400,
      body: {
        errors: [
          { message: 'filter must be an EventFilter as JSON', extensions: { code: 'BAD_USER_INPUT', field: 'filter' } },
        ],
      },
    });
    expect(await answer(new StoreUnavailableError(new Error('connection closed')))).toEqual({
      status: 503,
      body: {
        errors: [
          {
            message: 'The event database is unavailable; try again shortly',
            extensions: { code: 'SERVICE_UNAVAILABLE' },
          },
        ],
      },
    });
    expect(await answer(new TypeError('secret'))).toEqual({
      status: 500,
      body: { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] },
    });
  });
});
