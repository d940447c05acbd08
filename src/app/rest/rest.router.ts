import express, { Router, type Request, type RequestHandler } from 'express';
import { Role } from '../../core/roles';
import { jsonDepth } from '../../core/json-depth';
import { requireRole } from '../http/auth.http';
import { corsMiddleware } from '../http/cors';
import { rateLimitMiddleware } from '../http/rate-limit';
import { eventRoutes } from './event.routes';
import { lifecycleRoutes } from './lifecycle.routes';
import { restErrorHandler } from './error-handler';
import { issue, RequestValidationError } from './rest.errors';
import type { MadsciRoute, MadsciRouterOptions } from './rest.route';
import { serverRoutes } from './server.routes';
import { savesReportFile, utilizationRoutes } from './utilization.routes';

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

/**
 * MADSci's Event Manager REST dialect (docs/madsci-compatibility.md#d21-rest-routes) beside GraphQL: snake_case JSON with `_id`,
 * FastAPI's status codes and error bodies. Every route is a thin adapter over the same services
 * as the GraphQL resolvers. CORS, rate limiting (when enabled) and the JSON body parser apply to
 * these paths only, so the router can be mounted at the root without touching other endpoints.
 */
export function createMadsciRouter(options: MadsciRouterOptions): Router {
  const { config } = options;
  const routes = [
    ...eventRoutes(options),
    ...lifecycleRoutes(options),
    ...utilizationRoutes(options),
    ...serverRoutes(options),
  ];

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
        next(
          new RequestValidationError([
            issue(
              'value_error',
              ['body'],
              `Value error, input nests deeper than ${config.limits.maxInputDepth} levels`,
              null,
            ),
          ]),
        );
        return;
      }
      next(error);
    });
  };
  const errors = restErrorHandler(options);

  const byPath = new Map<string, MadsciRoute[]>();
  for (const route of routes) byPath.set(route.path, [...(byPath.get(route.path) ?? []), route]);
  for (const [path, pathRoutes] of byPath) {
    for (const route of pathRoutes) {
      const handle: RequestHandler = (req, res, next) => {
        route.handler(req, res).catch(next);
      };
      const authorize = requireRole(
        options.services.auth,
        (req) => restRole(route, req),
        `${route.method.toUpperCase()} ${route.path}`,
        (detail) => ({ detail }),
      );
      router[route.method](path, cors, rateLimit, authorize, json, handle, errors);
    }
    const allow = [...new Set(pathRoutes.map((route) => route.method.toUpperCase()))].join(', ');
    router.all(path, cors, (_req, res) => {
      res.status(405).set('Allow', allow).json({ detail: 'Method Not Allowed' });
    });
  }
  return router;
}
