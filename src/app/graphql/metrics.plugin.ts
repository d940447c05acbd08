import type { ApolloServerPlugin } from '@apollo/server';
import { graphqlErrorCode } from './graphql-errors';
import { metrics, operationLabel } from '../../metrics/metrics';

/**
 * Apollo plugin counting GraphQL-over-HTTP operations: requests and latency per operation name
 * and type, and every error sent, by code. Parse and validation failures count as operation
 * `__invalid` with their own codes.
 */
export function graphqlMetricsPlugin<TContext extends object>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      const stop = metrics.graphqlDuration.startTimer();
      let operation = operationLabel(null, false);
      let type = 'unknown';
      return {
        async didResolveOperation(requestContext) {
          operation = operationLabel(requestContext.operationName ?? null);
          type = requestContext.operation?.operation ?? 'unknown';
        },
        async didEncounterErrors(requestContext) {
          for (const error of requestContext.errors)
            metrics.graphqlErrors.inc({ code: graphqlErrorCode(error), transport: 'http' });
        },
        async willSendResponse() {
          const labels = { operation, type, transport: 'http' };
          metrics.graphqlRequests.inc(labels);
          stop(labels);
        },
      };
    },
  };
}
