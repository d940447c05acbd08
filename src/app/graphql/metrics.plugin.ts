import type { ApolloServerPlugin } from '@apollo/server';
import { graphqlErrorCode } from './graphql-errors';
import { metrics, operationLabel } from '../../metrics/metrics';

/** The metrics of one GraphQL-over-HTTP operation, from receipt to response. */
export interface HttpOperationMetrics {
  /** The operation resolved: its name (or null) and type (`query`, `mutation`, ...). */
  resolved(name: string | null, type: string | undefined): void;
  /** Errors sent, counted by code. */
  errors(errors: readonly unknown[]): void;
  /** The response is sent: counts the operation and observes its latency. */
  sent(): void;
}

/**
 * Starts the metrics of one operation over HTTP: requests and latency per operation name and type,
 * and every error sent, by code. Until {@link HttpOperationMetrics.resolved}, the operation is
 * `__invalid` (parse and validation failures) of type `unknown`. Used by Apollo's
 * {@link graphqlMetricsPlugin} and by the fast path (`fast-path.ts`), so both count alike.
 */
export function httpOperationMetrics(): HttpOperationMetrics {
  const stop = metrics.graphqlDuration.startTimer();
  let operation = operationLabel(null, false);
  let type = 'unknown';
  return {
    resolved(name, operationType) {
      operation = operationLabel(name);
      type = operationType ?? 'unknown';
    },
    errors(errors) {
      for (const error of errors) metrics.graphqlErrors.inc({ code: graphqlErrorCode(error), transport: 'http' });
    },
    sent() {
      const labels = { operation, type, transport: 'http' };
      metrics.graphqlRequests.inc(labels);
      stop(labels);
    },
  };
}

/** Apollo plugin counting GraphQL-over-HTTP operations (see {@link httpOperationMetrics}). */
export function graphqlMetricsPlugin<TContext extends object>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      const recorder = httpOperationMetrics();
      return {
        async didResolveOperation(requestContext) {
          recorder.resolved(requestContext.operationName ?? null, requestContext.operation?.operation);
        },
        async didEncounterErrors(requestContext) {
          recorder.errors(requestContext.errors);
        },
        async willSendResponse() {
          recorder.sent();
        },
      };
    },
  };
}
