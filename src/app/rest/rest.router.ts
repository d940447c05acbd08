import express, { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { GraphQLError } from 'graphql';
import { requireRole } from '../http/auth.http';
import { Role } from '../../core/roles';
import type { Config } from '../../core/config';
import { ArchiveState } from '../../events/event.enums';
import type { EventFilter } from '../../events/event.types';
import { ErrorCode, isUnavailableError, ServiceUnavailableError } from '../../core/errors';
import { jsonDepth } from '../../core/json-depth';
import type { Logger } from '../../core/logger';
import { rateLimitMiddleware } from '../http/rate-limit';
import type { Services } from '../services';
import { corsMiddleware } from '../http/cors';
import { HttpError, issue, RequestValidationError } from './rest.errors';
import { settingsView } from './settings';
import { lifecycleRoutes } from './lifecycle.routes';
import { locOfField, parseMadsciEvent, sendEventMap, toMadsciEvent } from './wire';
import { LiteralSyntaxError, parsePythonLiteral } from './python-literal';
import { QueryReader } from './query-reader';
import { savesReportFile, utilizationRoutes } from './utilization.routes';

/** One REST operation: MADSci's method and path, and a thin handler over the services. */
export interface MadsciRoute {
  method: 'get' | 'post' | 'delete';
  path: string;
  handler: (req: Request, res: Response) => Promise<void>;
}

/**
 * The role a REST request needs, by the same rule as GraphQL: reading (GET, and the raw selector
 * query) for readers, logging for writers, everything else (archive, purge, backup, and a
 * utilization report saved as a file on the server) for admins.
 */
export function restRole(route: Pick<MadsciRoute, 'method' | 'path'>, req: Request): Role {
  if (route.path.startsWith('/utilization/') && savesReportFile(req)) return Role.ADMIN;
  if (route.method === 'get' || route.path === '/events/query') return Role.READER;
  if (route.method === 'post' && route.path === '/event') return Role.WRITER;
  return Role.ADMIN;
}

/** What the routes need. */
export interface MadsciRouterOptions {
  services: Services;
  config: Config;
  logger: Logger;
}

/**
 * MADSci's Event Manager REST dialect (spec section 3) beside GraphQL: snake_case JSON with `_id`,
 * FastAPI's status codes and error bodies. Every route is a thin adapter over the same services
 * as the GraphQL resolvers. CORS, rate limiting (when enabled) and the JSON body parser apply to
 * these paths only, so the router can be mounted at the root without touching other endpoints.
 */
export function createMadsciRouter(options: MadsciRouterOptions): Router {
  const { config } = options;
  const routes = [...eventRoutes(options), ...lifecycleRoutes(options), ...utilizationRoutes(options), ...serverRoutes(options)];

  const router = Router();
  const cors = corsMiddleware(config.corsOrigins);
  const rateLimit = rateLimitMiddleware(options.services.rateLimiter, (detail) => ({ detail }));
  // body-parser turns an empty body into {}; FastAPI treats it as no body (422 "Field required").
  const withContent = new WeakSet<Request>();
  const parseJson = express.json({
    limit: config.limits.maxBodyBytes,
    verify: (req, _res, buffer) => {
      if (buffer.length > 0) withContent.add(req as Request);
    },
    // FastAPI reads any JSON value (a string body is then a 422, not a 400), with or without a content type.
    strict: false,
    type: (req) => {
      const type = req.headers['content-type'];
      return type === undefined || /[/+]json\b/i.test(type);
    },
  });
  const json: RequestHandler = (req, res, next) => {
    parseJson(req, res, (error?: unknown) => {
      if (!withContent.has(req)) req.body = undefined;
      // Refused before anything walks it (the same MAX_INPUT_DEPTH as GraphQL variables).
      if (error === undefined && jsonDepth(req.body, config.limits.maxInputDepth) > config.limits.maxInputDepth) {
        next(new RequestValidationError([issue('value_error', ['body'], `Value error, input nests deeper than ${config.limits.maxInputDepth} levels`, null)]));
        return;
      }
      next(error);
    });
  };
  const errors = errorHandler(options);

  const byPath = new Map<string, MadsciRoute[]>();
  for (const route of routes) byPath.set(route.path, [...(byPath.get(route.path) ?? []), route]);
  for (const [path, pathRoutes] of byPath) {
    for (const route of pathRoutes) {
      const handle: RequestHandler = (req, res, next) => {
        route.handler(req, res).catch(next);
      };
      const authorize = requireRole(options.services.auth, (req) => restRole(route, req), `${route.method.toUpperCase()} ${route.path}`, (detail) => ({ detail }));
      router[route.method](path, cors, rateLimit, authorize, json, handle, errors);
    }
    const allow = [...new Set(pathRoutes.map((route) => route.method.toUpperCase()))].join(', ');
    router.all(path, cors, (_req, res) => {
      res.status(405).set('Allow', allow).json({ detail: 'Method Not Allowed' });
    });
  }
  return router;
}

/** Ingest and reads: `POST /event`, `GET /event/{id}`, `GET /events`, `POST /events/query`. */
function eventRoutes({ services, config }: MadsciRouterOptions): MadsciRoute[] {
  const { events } = services;
  const maxPage = config.limits.maxPageSize;
  return [
    {
      method: 'post',
      path: '/event',
      handler: async (req, res) => {
        const stored = await events.logEvent(parseMadsciEvent(req.body));
        res.json(toMadsciEvent(stored));
      },
    },
    {
      method: 'get',
      path: '/event/:event_id',
      handler: async (req, res) => {
        const id = String(req.params.event_id);
        const [stored] = await events.findByIds([id]);
        if (!stored) throw new HttpError(404, `Event with ID ${id} not found`);
        res.json(toMadsciEvent(stored));
      },
    },
    {
      method: 'get',
      path: '/events',
      handler: async (req, res) => {
        const q = new QueryReader(req);
        const number = q.pageSize('number', 100, maxPage);
        const offset = q.int('offset', 0, 0);
        const level = q.level('level');
        const start = q.dateTime('start_time');
        const end = q.dateTime('end_time');
        const includeArchived = q.bool('include_archived', false);
        q.done();
        const filter: EventFilter = {
          archived: includeArchived ? ArchiveState.ALL : ArchiveState.ACTIVE,
          ...(level !== undefined ? { minLevel: level } : {}),
          ...(start ? { from: start } : {}),
          // MADSci's end bound is inclusive; the filter's `to` is exclusive, and instants are whole milliseconds.
          ...(end ? { to: new Date(end.getTime() + 1) } : {}),
        };
        const page = await events.page({ filter, limit: number, offset });
        sendEventMap(res, page.items);
      },
    },
    {
      method: 'post',
      path: '/events/query',
      handler: async (req, res) => {
        const q = new QueryReader(req);
        const number = q.pageSize('number', maxPage, maxPage);
        const offset = q.int('offset', 0, 0);
        // Decision Q9: the selector is the JSON body, or, as MADSci's Python client sends it, the
        // `selector` query parameter (Python literal syntax or JSON).
        let selector: unknown;
        let where: (string | number)[];
        if (req.body !== undefined) {
          selector = req.body;
          where = ['body'];
        } else {
          where = ['query', 'selector'];
          const text = q.string('selector');
          if (text === undefined) q.missing(['body'], null);
          else {
            try {
              selector = parsePythonLiteral(text);
            } catch (error) {
              if (!(error instanceof LiteralSyntaxError)) throw error;
              q.add(issue('value_error', where, `Value error, the selector is not a JSON or Python literal: ${error.message}`, text));
            }
          }
        }
        q.done();
        try {
          sendEventMap(res, await events.query({ selector, limit: number, offset }));
        } catch (error) {
          throw withLoc(error, where, selector);
        }
      },
    },
  ];
}

/** `GET /health` and `GET /settings`. */
function serverRoutes({ services, config }: MadsciRouterOptions): MadsciRoute[] {
  return [
    {
      method: 'get',
      path: '/health',
      handler: async (_req, res) => {
        const report = await services.health.report();
        // MADSci's EventManagerHealth, in its key order; always 200.
        res.json({
          healthy: report.healthy,
          description: report.description,
          version: report.version,
          db_connected: report.database.connected,
          total_events: report.totalEvents,
          otel_enabled: null,
          otel_exporter_type: null,
          otel_endpoint: null,
        });
      },
    },
    {
      method: 'get',
      path: '/settings',
      handler: async (req, res) => {
        const q = new QueryReader(req);
        const includeDefaults = q.bool('include_defaults', true);
        const includeSchema = q.bool('include_schema', false);
        q.done();
        res.json(settingsView(config, { includeDefaults, includeSchema }));
      },
    },
  ];
}


/** A service's BAD_USER_INPUT for the selector, placed where the selector came from. */
function withLoc(error: unknown, loc: (string | number)[], input: unknown): unknown {
  if (error instanceof GraphQLError && error.extensions.code === ErrorCode.BAD_USER_INPUT && error.extensions.field === 'selector') {
    return new RequestValidationError([issue('value_error', loc, `Value error, ${error.message}`, input)]);
  }
  return error;
}

/** Service argument names that come from query parameters, and the parameter each one is. */
const QUERY_FIELDS: Record<string, (string | number)[]> = {
  limit: ['query', 'number'],
  offset: ['query', 'offset'],
  olderThanDays: ['query', 'older_than_days'],
};

/** The service's messages name GraphQL's camelCase fields (`source.nodeId`); the wire's are snake_case. */
function snakeCaseFields(message: string): string {
  return message.replace(/\b[a-z]+(?:[A-Z][a-z0-9]*)+\b/g, (name) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
}

/** The value at a `loc` of the request, for the `input` of a 422. */
function inputAt(req: Request, loc: (string | number)[]): unknown {
  let value: unknown = loc[0] === 'query' ? req.query : req.body;
  for (const key of loc.slice(1)) {
    if (value === null || typeof value !== 'object') return null;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}

/**
 * Errors as MADSci answers them: 422 `{"detail": [...]}` for invalid input (ours, the body
 * parser's, and the services' BAD_USER_INPUT), `{"detail": "..."}` for explicit failures, 503
 * when the database is unreachable, and 500 `Internal Server Error` (plain text) for the rest.
 */
function errorHandler({ logger, config }: MadsciRouterOptions): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    if (error instanceof RequestValidationError) {
      res.status(422).json({ detail: error.issues });
      return;
    }
    if (error instanceof HttpError) {
      res.status(error.status).set(error.headers).json({ detail: error.detail });
      return;
    }
    const parserError = error as { type?: string; status?: number; message?: string };
    if (parserError.type === 'entity.too.large') {
      res.status(413).json({ detail: `Request body larger than ${config.limits.maxBodyBytes} bytes` });
      return;
    }
    if (parserError.type === 'entity.parse.failed') {
      res.status(422).json({ detail: [issue('json_invalid', ['body', 0], 'JSON decode error', {}, { error: parserError.message ?? 'invalid JSON' })] });
      return;
    }
    if (error instanceof GraphQLError && error.extensions.code === ErrorCode.BAD_USER_INPUT) {
      const field = typeof error.extensions.field === 'string' ? error.extensions.field : undefined;
      const loc = QUERY_FIELDS[field ?? ''] ?? (field === 'selector' ? ['body'] : locOfField(field));
      res.status(422).json({ detail: [issue('value_error', loc, `Value error, ${snakeCaseFields(error.message)}`, inputAt(req, loc))] });
      return;
    }
    if (error instanceof ServiceUnavailableError || isUnavailableError(error)) {
      res.status(503).json({ detail: new ServiceUnavailableError().message });
      return;
    }
    if (parserError.status !== undefined && parserError.status >= 400 && parserError.status < 500) {
      res.status(parserError.status).json({ detail: parserError.message ?? 'Bad request' });
      return;
    }
    logger.error({ err: error, method: req.method, path: req.path }, 'Unhandled error in a MADSci REST route');
    res.status(500).type('text/plain').send('Internal Server Error');
  };
}
