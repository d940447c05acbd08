import { getOperationAST, type GraphQLError } from 'graphql';
import type { Context, ServerOptions } from 'graphql-ws';
import type { WebSocketServer } from 'ws';
import { graphqlErrorCode } from '../graphql/graphql-errors';
import { metrics, operationLabel } from '../../metrics/metrics';

/** Counts open WebSocket connections (every socket, before and after `connection_init`). */
export function trackWebSocketConnections(wsServer: WebSocketServer): void {
  wsServer.on('connection', (socket) => {
    metrics.wsConnections.inc();
    metrics.wsConnectionsTotal.inc();
    socket.once('close', () => metrics.wsConnections.dec());
  });
}

/** Counts the errors of one answer sent on a socket, by code. */
export function countWsErrors(errors: readonly GraphQLError[]): void {
  for (const error of errors) metrics.graphqlErrors.inc({ code: graphqlErrorCode(error), transport: 'ws' });
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === 'object' && value !== null && Symbol.asyncIterator in value;

/**
 * graphql-ws options with metrics added around the given hooks (each original hook still runs
 * and its result is returned unchanged): operations per name, type and transport `ws`; latency
 * of queries and mutations; running subscriptions; errors by code.
 */
export function withWsMetrics<P extends Record<PropertyKey, unknown> | undefined, E>(
  options: ServerOptions<P, E>,
): ServerOptions<P, E> {
  // Per connection: when each operation arrived, and which operations are running subscriptions.
  type Timer = ReturnType<typeof metrics.graphqlDuration.startTimer>;
  const startedAt = new WeakMap<Context<P, E>, Map<string, Timer>>();
  const running = new WeakMap<Context<P, E>, Set<string>>();
  const countErrors = countWsErrors;
  return {
    ...options,
    onSubscribe: (ctx, id, payload) => {
      const timers = startedAt.get(ctx) ?? new Map<string, Timer>();
      startedAt.set(ctx, timers);
      timers.set(id, metrics.graphqlDuration.startTimer());
      return options.onSubscribe?.(ctx, id, payload);
    },
    onOperation: async (ctx, id, payload, args, result) => {
      const replaced = await options.onOperation?.(ctx, id, payload, args, result);
      const ast = getOperationAST(args.document, args.operationName);
      const labels = {
        operation: operationLabel(args.operationName ?? ast?.name?.value ?? null),
        type: ast?.operation ?? 'unknown',
        transport: 'ws',
      };
      metrics.graphqlRequests.inc(labels);
      const stop = startedAt.get(ctx)?.get(id);
      startedAt.get(ctx)?.delete(id);
      if (isAsyncIterable(replaced ?? result)) {
        metrics.subscriptionsActive.inc();
        metrics.subscriptionsTotal.inc();
        const set = running.get(ctx) ?? new Set<string>();
        running.set(ctx, set);
        set.add(id);
      } else {
        stop?.(labels);
      }
      return replaced;
    },
    onNext: async (ctx, id, payload, args, result) => {
      if (result.errors) countErrors(result.errors);
      return options.onNext?.(ctx, id, payload, args, result);
    },
    onError: async (ctx, id, payload, errors) => {
      countErrors(errors);
      // Refused before it ran (validation, a hook's refusal): an invalid operation.
      const stop = startedAt.get(ctx)?.get(id);
      if (stop) {
        startedAt.get(ctx)?.delete(id);
        const labels = { operation: operationLabel(null, false), type: 'unknown', transport: 'ws' };
        metrics.graphqlRequests.inc(labels);
        stop(labels);
      }
      return options.onError?.(ctx, id, payload, errors);
    },
    // graphql-ws calls this once for every operation that ran, however it ended (client
    // complete, error, socket closed, server drain).
    onComplete: async (ctx, id, payload) => {
      startedAt.get(ctx)?.delete(id);
      if (running.get(ctx)?.delete(id)) metrics.subscriptionsActive.dec();
      return options.onComplete?.(ctx, id, payload);
    },
  };
}
