import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { appErrorOf, ErrorCode, type AppError } from '../../core/errors';

/*
 * The one place where errors become GraphQL answers, for both GraphQL doors (Apollo over HTTP,
 * graphql-ws over WebSocket): which code an error carries, how it is formatted, and how an
 * AppError raised before execution (limits, roles, rate limits) becomes a GraphQLError.
 */

/** graphql-js's message (getVariableValues) once a request's variables produced too many errors. */
const VARIABLE_ERROR_LIMIT = 'Too many errors processing variables, error limit reached. Execution aborted.';

/**
 * The `extensions.code` a client receives for an error: the code of the AppError it is or wraps
 * (so a rule of ours keeps QUERY_TOO_COMPLEX where Apollo re-codes validation errors, and a store
 * outage is SERVICE_UNAVAILABLE), else the code GraphQL's own machinery gave it (Apollo's
 * GRAPHQL_VALIDATION_FAILED, BAD_USER_INPUT for variables, ...), else INTERNAL_SERVER_ERROR.
 */
export function graphqlErrorCode(error: unknown, message?: string): string {
  const own = appErrorOf(error);
  if (own) return own.code;
  const code = error instanceof GraphQLError ? error.extensions.code : undefined;
  if (typeof code === 'string' && code !== ErrorCode.INTERNAL_SERVER_ERROR) return code;
  // graphql-js stops coercing variables after 50 errors with an error of its own, without code
  // or location, which Apollo (unlike the 50 before it) then calls internal: it is bad input.
  const text = message ?? (error instanceof Error ? error.message : undefined);
  return text === VARIABLE_ERROR_LIMIT ? ErrorCode.BAD_USER_INPUT : ErrorCode.INTERNAL_SERVER_ERROR;
}

/**
 * An AppError as a GraphQLError, for the hooks that must return GraphQL errors (validation rules,
 * graphql-ws's `onSubscribe`). The code and field travel in `extensions`; `http` sets the status
 * Apollo answers with when the error stops a request before execution.
 */
export function toGraphQLError(error: AppError, options: { http?: boolean } = {}): GraphQLError {
  return new GraphQLError(error.message, {
    originalError: error,
    extensions: { ...error.extensions, ...(options.http ? { http: { status: error.status } } : {}) },
  });
}

/**
 * Builds the `formatError` of both doors: known codes pass through (see {@link graphqlErrorCode});
 * anything else is `INTERNAL_SERVER_ERROR`, reported to `onInternalError` and its message hidden
 * when `hideInternals` is set. Stack traces never leave the server.
 */
export function makeFormatError(options: {
  hideInternals: boolean;
  onInternalError: (error: unknown) => void;
}): (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError {
  return (formatted, error) => {
    const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
    const code = graphqlErrorCode(error, formatted.message);
    if (code === ErrorCode.INTERNAL_SERVER_ERROR) {
      options.onInternalError(unwrapResolverError(error));
      return {
        ...formatted,
        message: options.hideInternals ? 'Internal server error' : formatted.message,
        extensions: { ...extensions, code },
      };
    }
    return { ...formatted, extensions: { ...extensions, code } };
  };
}
