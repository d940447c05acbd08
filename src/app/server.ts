import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Config } from '../core/config';
import { ErrorCode } from '../core/errors';
import type { Logger } from '../core/logger';
import { Role } from '../core/roles';
import { packageVersion } from '../core/version';
import { instrumentStore } from '../metrics/instrument-store';
import { metrics, trackLiveStats } from '../metrics/metrics';
import type { EventStore } from '../store/event-store';
import { createExportRouter } from './downloads/export.router';
import type { GraphqlFastPath } from './graphql/fast-path';
import { startGraphqlHttpDoor } from './graphql/graphql-http';
import { createSchema } from './graphql/schema';
import { validationRules } from './graphql/validation-rules';
import { graphqlErrorBody, requireRole } from './http/auth.http';
import { bodyErrorHandler } from './http/body-errors';
import { listenHost } from './http/listen-host';
import { metricsHandler } from './http/metrics.route';
import { notFoundHandler } from './http/not-found';
import { probesRouter } from './http/probes';
import { rateLimitMiddleware } from './http/rate-limit';
import { apiCors, securityHeaders } from './http/security';
import { createOtlpLogsRouter } from './otlp/otlp-logs.router';
import { createMadsciRouter } from './rest/rest.router';
import { createServices, type Services } from './services';
import { createWebRouter } from './web/web.router';
import { attachGraphqlWsDoor } from './ws/graphql-ws-door';

/** A running server. */
export interface ServerHandle {
  httpServer: http.Server;
  services: Services;
  /** `http://host:port` the server listens on. */
  url: string;
  /** GraphQL's fast path over HTTP (src/app/graphql/fast-path.ts): tests and benchmarks read and switch it. */
  graphqlFastPath: GraphqlFastPath;
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
  // Checked before anything is opened: a refused HOST leaves nothing to close.
  const bindHost = listenHost(config, logger);
  // Every store call is timed for /metrics.
  const store = instrumentStore(options.store);
  await store.init();
  const services = createServices(config, store, packageVersion(), logger, {
    clock: options.clock,
    retentionIntervalMs: options.retentionIntervalMs,
  });
  // Live fan-out is connected (Redis subscribed) before the first subscriber can arrive.
  await services.live.start();
  const schema = await createSchema();
  const rules = validationRules(config);

  const app = express();
  app.disable('x-powered-by');
  // No ETag on API responses (a hash of every body, for GraphQL POSTs that are never revalidated;
  // MADSci sends none either). Static bundles keep theirs: serve-static sets its own.
  app.set('etag', false);
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

  const ws = attachGraphqlWsDoor({ httpServer, schema, services, config, logger, validationRules: rules });
  services.events.onLogged((docs) => metrics.eventsIngested.inc(docs.length));
  const untrackLiveStats = trackLiveStats(() => services.live.stats());

  const {
    apollo,
    fastPath,
    handlers: graphqlHandlers,
  } = await startGraphqlHttpDoor({
    schema,
    services,
    config,
    logger,
    httpServer,
    validationRules: rules,
    onDrain: async () => {
      await ws.dispose();
    },
  });

  // One per-client rate limit for every door (MADSci's headers; GraphQL's error shape here).
  const rateLimit = rateLimitMiddleware(services.rateLimiter, (detail) =>
    graphqlErrorBody(detail, ErrorCode.RATE_LIMITED),
  );
  // POST /graphql, the API's hot path, first: the routers below answer only GET and HEAD (and
  // other paths), so its requests skip their layers. Other methods reach Apollo after the web
  // router (GET /graphql from a browser is the IDE).
  app.post('/graphql', rateLimit, ...graphqlHandlers);
  if (config.metrics.enabled) app.get('/metrics', metricsHandler(store));
  // The IDE (GET /graphql from a browser), the dashboard at / and their bundles; before Apollo.
  app.use(createWebRouter(config));
  app.use(probesRouter(services.health, store.engine));
  app.use('/graphql', rateLimit, ...graphqlHandlers);
  // Downloads: utilization reports as CSV, events as CSV or NDJSON.
  app.use(
    '/export',
    rateLimit,
    requireRole(services.auth, Role.READER, 'Exports', graphqlErrorBody),
    createExportRouter({ analytics: services.analytics, schema }),
  );
  // OpenTelemetry logs in: OTLP/HTTP at POST /v1/logs (its own rate limit, role check and body parser).
  app.use(createOtlpLogsRouter(services, logger));
  // MADSci's REST dialect (POST /event, GET /events, ...): its own CORS, rate limit and JSON parser.
  app.use(createMadsciRouter({ services, config, logger }));
  app.use(notFoundHandler());
  app.use(bodyErrorHandler(config));

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
    graphqlFastPath: fastPath,
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
