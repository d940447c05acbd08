import type { ApolloServerPlugin, GraphQLResponse } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { BREAK, GraphQLError, Kind, parse, visit, type GraphQLFormattedError, type ValueNode } from 'graphql';
import { appErrorOf, ErrorCode, HTTP_STATUS, type AppError } from '../../core/errors';
import { RETRY_AFTER_HEADER } from '../http/retry-after';

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
  // A variable graphql-js could not coerce: Apollo codes it BAD_USER_INPUT after execution;
  // graphql-ws does not, so the rule is here, for both doors.
  if (error instanceof GraphQLError && isVariableCoercionError(error)) return ErrorCode.BAD_USER_INPUT;
  // graphql-js stops coercing variables after 50 errors with an error of its own, without code
  // or location, which Apollo (unlike the 50 before it) then calls internal: it is bad input.
  const text = message ?? (error instanceof Error ? error.message : undefined);
  return text === VARIABLE_ERROR_LIMIT ? ErrorCode.BAD_USER_INPUT : ErrorCode.INTERNAL_SERVER_ERROR;
}

/** graphql-js's error for a variable value it could not coerce: Apollo's test (its `isBadUserInputGraphQLError`). */
function isVariableCoercionError(error: GraphQLError): boolean {
  const node = error.nodes?.length === 1 ? error.nodes[0] : undefined;
  if (node?.kind !== Kind.VARIABLE_DEFINITION) return false;
  const variable = `Variable "$${node.variable.name.value}" `;
  return ['has invalid value', 'got invalid value ', 'of required type ', 'of non-null type '].some((rest) =>
    error.message.startsWith(variable + rest),
  );
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
 * What a hook of Apollo's request pipeline (context, `didResolveOperation`) throws: an AppError
 * carries its HTTP status (UNAUTHENTICATED 401, FORBIDDEN 403, QUERY_TOO_COMPLEX 400, ...), as
 * Apollo answers an error thrown there without `extensions.http.status` with 500. Anything else
 * is thrown as it is (a bug: 500).
 */
export function asRequestError(error: unknown): unknown {
  const own = appErrorOf(error);
  return own ? toGraphQLError(own, { http: true }) : error;
}

/**
 * Apollo plugin for the status of answers whose errors arose while executing (field errors):
 * 200 when the operation produced data (a partial result, as the GraphQL-over-HTTP specification
 * asks); when it produced nothing (`data` null, or every root field null), the status of its
 * first error's code, as for errors before execution: BAD_USER_INPUT 400, SERVICE_UNAVAILABLE
 * 503 (so proxies and retrying clients see the outage), INTERNAL_SERVER_ERROR 500
 * (docs/errors.md#graphql-over-http).
 */
export function errorStatusPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          applyErrorStatus(response);
        },
      };
    },
  };
}

/**
 * The rule of {@link errorStatusPlugin} on a response about to be sent (Apollo's, or the fast
 * path's in the same shape): sets the status of an answer without data, and `Retry-After` on a 503.
 */
export function applyErrorStatus(response: Pick<GraphQLResponse, 'body' | 'http'>): void {
  if (response.body.kind !== 'single') return;
  const { data, errors } = response.body.singleResult;
  const produced = data && Object.values(data).some((value) => value !== null);
  if (errors?.length && (response.http.status ?? 200) === 200 && !produced) {
    const code = errors[0]?.extensions?.code;
    const status = typeof code === 'string' ? HTTP_STATUS[code as ErrorCode] : undefined;
    response.http.status = status ?? HTTP_STATUS[ErrorCode.INTERNAL_SERVER_ERROR];
  }
  // Whoever set it (this rule, or Apollo from an error's extensions.http), a 503 says when to retry.
  if (response.http.status === 503) response.http.headers.set(...RETRY_AFTER_HEADER);
}

/** graphql-js's message for a variable that does not coerce: its name, and the path inside it. */
const BAD_VARIABLE =
  /^Variable "\$([_A-Za-z][_0-9A-Za-z]*)" (?:got invalid value .*? at "([^"]+)"; |got invalid value |of )/s;

/**
 * The input path a BAD_USER_INPUT error from graphql-js concerns, in the form services use
 * (`filter.from`, `events[3].eventTimestamp`): for a variable, its name and the path graphql-js
 * names (`e.eventTimestamp`); for an inline literal, the argument and the fields down to the
 * literal (found again in the document). Undefined when neither applies.
 */
export function inputFieldOf(error: unknown, message: string): string | undefined {
  const variable = BAD_VARIABLE.exec(message);
  if (variable) return variable[2] ?? variable[1];
  if (!(error instanceof GraphQLError)) return undefined;
  const target = error.nodes?.[0]?.loc;
  if (!target || !error.source) return undefined;
  let found: string | undefined;
  try {
    visit(parse(error.source), {
      Argument(argument) {
        found = literalPath(argument.value, argument.name.value, target);
        return found === undefined ? undefined : BREAK;
      },
    });
  } catch {
    return undefined;
  }
  return found;
}

function literalPath(value: ValueNode, path: string, target: { start: number; end: number }): string | undefined {
  if (value.loc?.start === target.start && value.loc.end === target.end) return path;
  if (value.kind === Kind.OBJECT) {
    for (const field of value.fields) {
      const found = literalPath(field.value, `${path}.${field.name.value}`, target);
      if (found !== undefined) return found;
    }
  } else if (value.kind === Kind.LIST) {
    for (const [i, item] of value.values.entries()) {
      const found = literalPath(item, `${path}[${i}]`, target);
      if (found !== undefined) return found;
    }
  }
  return undefined;
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
    if (code === ErrorCode.BAD_USER_INPUT && extensions.field === undefined) {
      // Bad input graphql-js found (a variable or an inline literal) names its field too.
      const field = inputFieldOf(error, formatted.message);
      if (field !== undefined) return { ...formatted, extensions: { ...extensions, code, field } };
    }
    return { ...formatted, extensions: { ...extensions, code } };
  };
}
