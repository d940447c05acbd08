import type http from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type RequestHandler } from 'express';
import { NoSchemaIntrospectionCustomRule, type GraphQLSchema, type ValidationRule } from 'graphql';
import type { Principal } from '../../auth/auth.service';
import type { Config } from '../../core/config';
import { AppError, ErrorCode } from '../../core/errors';
import type { Logger } from '../../core/logger';
import { httpCredentials } from '../http/auth.http';
import { csrfGuard } from '../http/csrf';
import type { Services } from '../services';
import { authPlugin } from './auth.plugin';
import { createContext, type GraphQLContext } from './context';
import { asRequestError, errorStatusPlugin, makeFormatError } from './graphql-errors';
import { variableLimitsPlugin } from './limits';
import { graphqlMetricsPlugin } from './metrics.plugin';
import { createGraphqlFastPath, type GraphqlFastPath } from './fast-path';

/** The GraphQL-over-HTTP door: Apollo Server, started, and the handlers that serve `POST /graphql`. */
export interface GraphqlHttpDoor {
  apollo: ApolloServer<GraphQLContext>;
  /** Answers requests for documents Apollo already validated without its pipeline (see fast-path.ts). */
  fastPath: GraphqlFastPath;
  /** The CSRF rule, the body parser and Apollo's middleware, to mount at `/graphql` after the rate limit. */
  handlers: RequestHandler[];
}

/**
 * Starts Apollo Server over the one schema: the shared validation rules, the role table
 * ({@link authPlugin}), the variable limits, metrics, and the error formatting both GraphQL doors
 * share. Stopping Apollo drains the HTTP server and then calls `onDrain` (the WebSocket door's
 * cleanup), so in-flight requests finish before subscriptions are closed.
 */
export async function startGraphqlHttpDoor(options: {
  schema: GraphQLSchema;
  services: Services;
  config: Config;
  logger: Logger;
  httpServer: http.Server;
  validationRules: readonly ValidationRule[];
  onDrain: () => Promise<void>;
}): Promise<GraphqlHttpDoor> {
  const { schema, services, config, logger, httpServer } = options;
  const formatError = makeFormatError({
    hideInternals: config.production,
    onInternalError: (error) => logger.error({ err: error }, 'Unhandled error in a GraphQL operation'),
  });
  const limits = { maxCost: config.limits.maxQueryCost, maxInputDepth: config.limits.maxInputDepth };
  const fastPath = createGraphqlFastPath({ services, limits, formatError });
  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    includeStacktraceInErrorResponses: false,
    // main.ts owns SIGTERM/SIGINT: Apollo's own handler (on unless NODE_ENV=test) would stop
    // Apollo alone and re-raise the signal, killing the process before the store is closed.
    stopOnTerminationSignals: false,
    // src/app/http/csrf.ts applies the CSRF rule (GET queries allowed), ahead of these handlers.
    csrfPrevention: false,
    // Apollo adds its own equivalent of the introspection rule when `introspection` is off.
    introspection: config.introspection,
    // The parser's work is bounded first: a document of more tokens is a GRAPHQL_PARSE_FAILED.
    parseOptions: { maxTokens: config.limits.maxQueryTokens },
    validationRules: options.validationRules.filter((rule) => rule !== NoSchemaIntrospectionCustomRule),
    formatError,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      {
        async serverWillStart() {
          return {
            drainServer: async () => {
              // Apollo answers everything while it drains and refuses once it stops.
              fastPath.close();
              await options.onDrain();
            },
          };
        },
      },
      ApolloServerPluginLandingPageDisabled(),
      // Apollo's default plugins we do not use. Cache control would wrap every resolver to
      // compute a policy that is always "no-store" here (no @cacheControl hints): the header is
      // set once below instead. Usage and schema reporting and inline traces are for Apollo's
      // hosted service (off without APOLLO_KEY; disabled here so that an APOLLO_KEY in the
      // environment sends nothing out).
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      graphqlMetricsPlugin(),
      errorStatusPlugin(),
      authPlugin(services.auth),
      subscriptionsOverWebSocket(),
      variableLimitsPlugin(schema, limits),
      fastPath.plugin,
    ],
  });
  await apollo.start();
  return {
    apollo,
    fastPath,
    handlers: [
      csrfGuard(),
      express.json({ limit: config.limits.maxBodyBytes }),
      noStore,
      fastPath.handler(
        expressMiddleware(apollo, {
          context: async ({ req }) => createContext(services, authenticateHttp(services, req.headers)),
        }),
      ),
    ],
  };
}

/**
 * Refuses a subscription over HTTP (after the role check, so a caller without a key still learns
 * that first): subscriptions are served by graphql-ws; Apollo would otherwise execute it as a
 * query and fail with INTERNAL_SERVER_ERROR.
 */
function subscriptionsOverWebSocket(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation !== 'subscription') return;
          throw asRequestError(
            new AppError(
              ErrorCode.BAD_REQUEST,
              'Subscriptions are served over WebSocket at /graphql (graphql-ws, subprotocol graphql-transport-ws), not over HTTP',
            ),
          );
        },
      };
    },
  };
}

/** GraphQL responses are never cached (what Apollo's cache-control plugin answered without hints). */
const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};

/** The principal of an HTTP request; an invalid key is a 401 (Apollo reads `extensions.http`). */
function authenticateHttp(services: Services, headers: http.IncomingHttpHeaders): Principal {
  try {
    return services.auth.authenticate(httpCredentials(headers));
  } catch (error) {
    throw asRequestError(error);
  }
}
