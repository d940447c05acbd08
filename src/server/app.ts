import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type ErrorRequestHandler } from 'express';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Config } from '../config/config';
import type { EventStore } from '../store/event-store';
import type { GraphQLContext } from './context';
import { ErrorCode, makeFormatError } from './errors';
import type { Logger } from './logger';
import { createSchema } from './schema';
import { createContext, createServices, type Services } from './services';
import { packageVersion } from './version';

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
export async function startServer(options: { config: Config; store: EventStore; logger: Logger }): Promise<ServerHandle> {
  const { config, store, logger } = options;
  await store.init();
  const services = createServices(config, store, packageVersion());
  const schema = await createSchema();

  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);

  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const wsCleanup = useServer<Record<string, unknown>, { context?: GraphQLContext }>(
    { schema, context: () => createContext(services) },
    wsServer,
  );

  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    includeStacktraceInErrorResponses: false,
    formatError: makeFormatError({
      hideInternals: config.production,
      onInternalError: (error) => logger.error({ err: error }, 'Unhandled error in a GraphQL operation'),
    }),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      { async serverWillStart() { return { async drainServer() { await wsCleanup.dispose(); } }; } },
      ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const ready = await services.health.ready();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', database: store.engine });
  });
  app.use(
    '/graphql',
    express.json({ limit: config.limits.maxBodyBytes }),
    expressMiddleware(apollo, { context: async () => createContext(services) }),
  );
  app.use(bodyErrorHandler(config));

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const address = httpServer.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  logger.info({ url, store: store.engine }, 'lab-events listening');

  let stopping: Promise<void> | null = null;
  return {
    httpServer,
    services,
    url,
    stop: () =>
      (stopping ??= (async () => {
        await apollo.stop();
        await store.close();
        logger.info('lab-events stopped');
      })()),
  };
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
      res.status(error.status).json({ errors: [{ message: 'Malformed request body', extensions: { code: 'BAD_REQUEST' } }] });
      return;
    }
    res.status(500).json({ errors: [{ message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } }] });
  };
}
