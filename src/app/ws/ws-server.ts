import {
  getOperationAST,
  GraphQLError,
  Kind,
  parse,
  type DocumentNode,
  type ExecutionResult,
  specifiedRules,
  validate,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import type { ServerOptions } from 'graphql-ws';
import type { Extra } from 'graphql-ws/use/ws';
import { connectionParamCredentials } from '../http/auth.http';
import type { Principal } from '../../auth/auth.service';
import type { Config } from '../../core/config';
import { assertVariableLimits } from '../graphql/limits';
import { createContext, type GraphQLContext } from '../graphql/context';
import { appErrorOf, ErrorCode, RateLimitedError, TooManySubscriptionsError } from '../../core/errors';
import { authorizeOperation } from '../graphql/authorize-operation';
import { makeFormatError, toGraphQLError } from '../graphql/graphql-errors';
import type { Logger } from '../../core/logger';
import type { Services } from '../services';
import { createSharedFrameSubscribe, type FrameTarget } from './shared-frames';
import { countWsErrors } from './ws-metrics';
import { PacedWrites } from './paced-writes';

/**
 * graphql-ws options for the one schema: the per-operation context (with the socket, for
 * back-pressure), the shared validation rules, the connection-init timeout, the cap on
 * subscriptions per connection, live events encoded once per distinct operation and written as
 * the same frame text to every socket running it ({@link createSharedFrameSubscribe}), and error formatting identical to Apollo's (codes kept,
 * internals hidden in production, no stack traces). Pass `config.live.keepAliveMs` as
 * `useServer`'s third argument: it pings every so often and terminates a socket that has not
 * answered the previous ping.
 */
export function graphqlWsOptions(options: {
  schema: GraphQLSchema;
  services: Services;
  config: Config;
  logger: Logger;
  validationRules: readonly ValidationRule[];
}): ServerOptions<Record<string, unknown>, Extra> & { isProd: boolean } {
  const { schema, services, config, logger } = options;
  const rules = [...specifiedRules, ...options.validationRules];
  const formatError = makeFormatError({
    hideInternals: config.production,
    onInternalError: (error) => logger.error({ err: error }, 'Unhandled error in a GraphQL subscription'),
  });
  const format = (errors: readonly GraphQLError[]) => errors.map((error) => formatError(error.toJSON(), error));
  /** The payload of a `next` message: the result, its errors formatted (what `onNext` below makes of it). */
  const toPayload = (result: ExecutionResult) =>
    result.errors ? { ...result, errors: format(result.errors) } : result;
  /** Each operation's socket and id, by its context (the frames of a subscription go there). */
  const targets = new WeakMap<object, FrameTarget>();
  // Frames to one socket leave together; see PacedWrites for the pacing (at most 50 ms added).
  const writes = new PacedWrites();
  const max = config.live.maxSubscriptionsPerConnection;
  const principals = new WeakMap<Extra, Principal>();
  return {
    schema,
    isProd: config.production,
    connectionInitWaitTimeout: config.live.connectionInitTimeoutMs,
    // Credentials come once, in connection_init's payload; an invalid key closes the socket (4403).
    onConnect: (ctx) => {
      try {
        principals.set(
          ctx.extra,
          services.auth.authenticate(connectionParamCredentials(ctx.connectionParams, ctx.extra.request.headers)),
        );
        return true;
      } catch {
        return false;
      }
    },
    context: (ctx, id): GraphQLContext => {
      const { socket } = ctx.extra;
      const context: GraphQLContext = {
        ...createContext(services, principals.get(ctx.extra)),
        connection: { bufferedAmount: () => socket.bufferedAmount },
      };
      targets.set(context, {
        id,
        open: () => socket.readyState === socket.OPEN,
        send: (prefix, body) => writes.send(socket, prefix, body),
      });
      return context;
    },
    // Spec rule violations carry no code; give them Apollo's, so both doors answer alike.
    validate: (validationSchema, document) =>
      validate(validationSchema, document, rules).map((error) =>
        typeof error.extensions.code === 'string'
          ? error
          : new GraphQLError(error.message, {
              nodes: error.nodes,
              extensions: { ...error.extensions, code: ErrorCode.GRAPHQL_VALIDATION_FAILED },
            }),
      ),
    // One execution and one encoding per event for all subscriptions running the same operation
    // and variables; frames are written to the sockets directly.
    subscribe: createSharedFrameSubscribe({
      targetOf: (contextValue) =>
        (typeof contextValue === 'object' && contextValue ? targets.get(contextValue) : null) ?? null,
      toPayload,
      onErrorsSent: countWsErrors,
    }),
    onSubscribe: (ctx, _id, payload) => {
      // graphql-ws registers the operation before this hook, so it counts itself.
      if (Object.keys(ctx.subscriptions).length > max) return [toGraphQLError(new TooManySubscriptionsError(max))];
      // Each operation counts against the client's rate limit, as an HTTP request would.
      const decision = services.rateLimiter?.checkRequest(ctx.extra.request);
      if (decision && !decision.allowed) return [toGraphQLError(new RateLimitedError(decision.detail))];
      // The same role table and variable limits as Apollo's plugins, which do not run here.
      let document;
      try {
        document = parse(payload.query, { maxTokens: config.limits.maxQueryTokens });
      } catch (error) {
        // A syntax error or too many tokens, coded as Apollo codes it.
        const message =
          error instanceof GraphQLError ? error.message : 'Syntax Error: the document could not be parsed';
        return [new GraphQLError(message, { extensions: { code: ErrorCode.GRAPHQL_PARSE_FAILED } })];
      }
      // An operation that cannot be picked, answered as Apollo does (graphql-ws has no code for it).
      const unresolved = operationResolutionError(document, payload.operationName);
      if (unresolved) return [unresolved];
      try {
        authorizeOperation(services.auth, principals.get(ctx.extra), document, payload.operationName);
        assertVariableLimits(schema, document, payload.variables, payload.operationName, {
          maxCost: config.limits.maxQueryCost,
          maxInputDepth: config.limits.maxInputDepth,
        });
      } catch (error) {
        // onError formats these like every other error (codes kept, internals hidden).
        const own = appErrorOf(error);
        if (own) return [toGraphQLError(own)];
        throw error;
      }
      return undefined;
    },
    // Results graphql-ws sends itself (queries and mutations over the socket).
    onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? toPayload(result) : undefined),
    onError: (_ctx, _id, _payload, errors) => format(errors),
  };
}

/**
 * Why no operation of `document` can be run under `operationName`, in graphql-js's words, coded
 * OPERATION_RESOLUTION_FAILURE as Apollo codes them over HTTP; null when one can.
 */
function operationResolutionError(document: DocumentNode, operationName?: string | null): GraphQLError | null {
  // graphql-ws picks the operation with getOperationAST too, and fails without a code where it finds none.
  if (getOperationAST(document, operationName)) return null;
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const message =
    operationName != null
      ? `Unknown operation named "${operationName}".`
      : operations.length > 1
        ? 'Must provide operation name if query contains multiple operations.'
        : 'Must provide an operation.';
  return new GraphQLError(message, { extensions: { code: ErrorCode.OPERATION_RESOLUTION_FAILURE } });
}
