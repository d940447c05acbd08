import type http from 'node:http';
import type { GraphQLSchema, ValidationRule } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Config } from '../../core/config';
import type { Logger } from '../../core/logger';
import { rateLimitHandshake } from '../http/rate-limit';
import type { Services } from '../services';
import { trackWebSocketConnections, withWsMetrics } from './ws-metrics';
import { graphqlWsOptions } from './ws-server';

/**
 * The WebSocket door: graphql-ws (`graphql-transport-ws`) on `/graphql` of the HTTP server, the
 * same schema, validation rules, roles, limits and error formatting as GraphQL over HTTP.
 * Handshakes count against the rate limit (429 instead of the upgrade); frames are bounded by
 * `MAX_BODY_BYTES`. Returns the cleanup that closes every socket with 1001 Going Away.
 */
export function attachGraphqlWsDoor(options: {
  httpServer: http.Server;
  schema: GraphQLSchema;
  services: Services;
  config: Config;
  logger: Logger;
  validationRules: readonly ValidationRule[];
}): { dispose: () => void | Promise<void> } {
  const { httpServer, services, config } = options;
  const verifyClient = rateLimitHandshake(services.rateLimiter);
  const wsServer = new WebSocketServer({
    server: httpServer,
    path: '/graphql',
    maxPayload: config.limits.maxBodyBytes,
    ...(verifyClient ? { verifyClient } : {}),
  });
  trackWebSocketConnections(wsServer);
  return useServer(withWsMetrics(graphqlWsOptions(options)), wsServer, config.live.keepAliveMs);
}
