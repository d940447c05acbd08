import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type ErrorRequestHandler } from 'express';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { NoSchemaIntrospectionCustomRule } from 'graphql';
import { createExportRouter } from './downloads/export.router';
import { graphqlErrorBody, httpCredentials, requireRole } from './http/auth.http';
import { authPlugin } from './graphql/auth.plugin';
import type { Principal } from '../auth/auth.service';
import { Role } from '../core/roles';
import type { Config } from '../core/config';
import { graphqlWsOptions } from './ws/ws-server';
import { createWebRouter } from './web/web.router';
import { createMadsciRouter } from './rest/rest.router';
import { graphqlMetricsPlugin } from './graphql/metrics.plugin';
import { instrumentStore } from '../metrics/instrument-store';
import { metrics, trackLiveStats } from '../metrics/metrics';
import { metricsHandler } from './http/metrics.route';
import { trackWebSocketConnections, withWsMetrics } from './ws/ws-metrics';
import type { EventStore } from '../store/event-store';
import { createContext, type GraphQLContext } from './graphql/context';
import { appErrorOf, ErrorCode } from '../core/errors';
import { makeFormatError, toGraphQLError } from './graphql/graphql-errors';
import type { Logger } from '../core/logger';
import { variableLimitsPlugin } from './graphql/limits';
import { createSchema } from './graphql/schema';
import { apiCors, securityHeaders } from './http/security';
import { createServices, type Services } from './services';
import { rateLimitHandshake, rateLimitMiddleware } from './http/rate-limit';
import { validationRules } from './graphql/validation-rules';
import { packageVersion } from '../core/version';

/** A running server. */
export interface ServerHandle {
  httpServer: http.Server;
  services: Services;
  /** `http://host:port` the server listens on. */
  url: string;
  /**
   * Graceful stop: refuses new connections, lets in-flight requests finish, closes WebSockets
   * with a proper close frame, then closes the store. Idempotent.
   */
  stop(): Promise<void>;
}

/**
 * Starts the HTTP and WebSocket server over an (uninitialised) store: GraphQL at `/graphql`
 * (POST over HTTP, graphql-ws over WebSocket, one schema), `/healthz` and `/readyz`.
 */
export async function startServer(options: {
  config: Config;
  store: EventStore;
  logger: Logger;
  /** The lifecycle's clock (archive times, retention thresholds, backups); tests move it. */
  clock?: () => Date;
  /** Pause between retention runs instead of `RETENTION_CHECK_INTERVAL_HOURS` (whole hours); tests shorten it. */
  retentionIntervalMs?: number;
}): Promise<ServerHandle> {
  const { config, logger } = options;
  // Every store call is timed for /metrics.
  const store = instrumentStore(options.store);
  await store.init();
  const services = createServices(config, store, packageVersion(), logger, { clock: options.clock, retentionIntervalMs: options.retentionIntervalMs });
  // Live fan-out is connected (Redis subscribed) before the first subscriber can arrive.
  await services.live.start();
  const schema = await createSchema();
  const rules = validationRules(config);

  const app = express();
  app.disable('x-powered-by');
  // Security headers on every route; the IDE and dashboard pages replace the CSP with their own.
  app.use(securityHeaders());
  // CORS for the API and downloads, before the web router (whose GET /graphql would answer
  // OPTIONS preflights itself with an Allow header and no CORS).
  app.use(['/graphql', '/export'], apiCors(config));
  const httpServer = http.createServer(app);
  // Node's 5 s default races clients that reuse idle sockets longer (a POST sent as the server
  // closes the socket fails with ECONNRESET); the headers timeout must exceed the keep-alive one.
  httpServer.keepAliveTimeout = config.keepAliveTimeoutMs;
  httpServer.headersTimeout = config.keepAliveTimeoutMs + 1000;

  const verifyClient = rateLimitHandshake(services.rateLimiter);
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: config.limits.maxBodyBytes, ...(verifyClient ? { verifyClient } : {}) });
  trackWebSocketConnections(wsServer);
  const wsCleanup = useServer(withWsMetrics(graphqlWsOptions({ schema, services, config, logger, validationRules: rules })), wsServer, config.live.keepAliveMs);
  services.events.onLogged((docs) => metrics.eventsIngested.inc(docs.length));
  const untrackLiveStats = trackLiveStats(() => services.live.stats());

  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    includeStacktraceInErrorResponses: false,
    // main.ts owns SIGTERM/SIGINT: Apollo's own handler (on unless NODE_ENV=test) would stop
    // Apollo alone and re-raise the signal, killing the process before the store is closed.
    stopOnTerminationSignals: false,
    // Apollo adds its own equivalent of the introspection rule when `introspection` is off.
    introspection: config.introspection,
    // The parser's work is bounded first: a document of more tokens is a GRAPHQL_PARSE_FAILED.
    parseOptions: { maxTokens: config.limits.maxQueryTokens },
    validationRules: rules.filter((rule) => rule !== NoSchemaIntrospectionCustomRule),
    formatError: makeFormatError({
      hideInternals: config.production,
      onInternalError: (error) => logger.error({ err: error }, 'Unhandled error in a GraphQL operation'),
    }),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      { async serverWillStart() { return { async drainServer() { await wsCleanup.dispose(); } }; } },
      ApolloServerPluginLandingPageDisabled(),
      graphqlMetricsPlugin(),
      authPlugin(services.auth),
      variableLimitsPlugin(schema, { maxCost: config.limits.maxQueryCost, maxInputDepth: config.limits.maxInputDepth }),
    ],
  });
  await apollo.start();

  if (config.metrics.enabled) app.get('/metrics', metricsHandler(store));
  // The IDE (GET /graphql from a browser), the dashboard at / and their bundles; before Apollo.
  app.use(createWebRouter(config));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const ready = await services.health.ready();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', database: store.engine });
  });
  // One per-client rate limit for every door (MADSci's headers; GraphQL's error shape here).
  const rateLimit = rateLimitMiddleware(services.rateLimiter, (detail) => ({ errors: [{ message: detail, extensions: { code: ErrorCode.RATE_LIMITED } }] }));
  app.use(
    '/graphql',
    rateLimit,
    express.json({ limit: config.limits.maxBodyBytes }),
    expressMiddleware(apollo, { context: async ({ req }) => createContext(services, authenticateHttp(services, req.headers)) }),
  );
  // Downloads: utilization reports as CSV, events as CSV or NDJSON.
  app.use('/export', rateLimit, requireRole(services.auth, Role.READER, 'Exports', graphqlErrorBody), createExportRouter({ analytics: services.analytics, schema }));
  // MADSci's REST dialect (POST /event, GET /events, ...): its own CORS, rate limit and JSON parser.
  app.use(createMadsciRouter({ services, config, logger }));
  app.use(bodyErrorHandler(config));

  const bindHost = listenHost(config, logger);
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, bindHost, () => resolve());
  });
  const address = httpServer.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  logger.info({ url, store: store.engine }, 'lab-events listening');
  // Background lifecycle jobs: retention runs now and every interval; backups on their schedule.
  if (config.retention.enabled) services.retention.start();
  services.backups.startSchedule();

  let stopping: Promise<void> | null = null;
  return {
    httpServer,
    services,
    url,
    stop: () =>
      (stopping ??= (async () => {
        // Lifecycle jobs end first (after their current batch), so none touches a closed store.
        await Promise.all([services.retention.stop(), services.backups.stop()]);
        await apollo.stop();
        await services.live.close();
        untrackLiveStats();
        await services.alerts.close();
        await store.close();
        logger.info('lab-events stopped');
      })()),
  };
}

/**
 * Where to listen: HOST, except that without API keys a non-loopback HOST falls back to
 * 127.0.0.1 (with a warning) unless INSECURE_BIND opts in: an open event server on a lab network
 * would let anyone purge or restore.
 */
function listenHost(config: Config, logger: Logger): string {
  const loopback = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i.test(config.host);
  if (config.auth.apiKeys.length > 0 || loopback) return config.host;
  if (config.auth.insecureBind) {
    logger.warn({ host: config.host }, 'No API keys configured: serving the network without access control (INSECURE_BIND)');
    return config.host;
  }
  logger.warn({ host: config.host }, 'No API keys configured: listening on 127.0.0.1 only; set API_KEYS (or INSECURE_BIND=true) to serve the network');
  return '127.0.0.1';
}

/** The principal of an HTTP request; an invalid key is a 401 (Apollo reads `extensions.http`). */
function authenticateHttp(services: Services, headers: http.IncomingHttpHeaders): Principal {
  try {
    return services.auth.authenticate(httpCredentials(headers));
  } catch (error) {
    const own = appErrorOf(error);
    throw own ? toGraphQLError(own, { http: true }) : error;
  }
}

/** Body parser failures (too large, not JSON) as GraphQL-shaped errors with a code. */
function bodyErrorHandler(config: Config): ErrorRequestHandler {
  return (error: { type?: string; status?: number }, _req, res, next) => {
    if (res.headersSent) return next(error);
    if (error.type === 'entity.too.large') {
      res.status(413).json({
        errors: [{ message: `Request body larger than ${config.limits.maxBodyBytes} bytes`, extensions: { code: ErrorCode.PAYLOAD_TOO_LARGE } }],
      });
      return;
    }
    if (error.status !== undefined && error.status >= 400 && error.status < 500) {
      res.status(error.status).json({ errors: [{ message: 'Malformed request body', extensions: { code: ErrorCode.BAD_REQUEST } }] });
      return;
    }
    res.status(500).json({ errors: [{ message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } }] });
  };
}
