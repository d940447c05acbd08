import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';

/** Every `extensions.code` this server sends. */
export enum ErrorCode {
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  NOT_FOUND = 'NOT_FOUND',
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX',
  PAYLOAD_TOO_LARGE = 'PAYLOAD_TOO_LARGE',
  SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE',
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
  /** A subscriber fell too far behind and its subscription was ended (resume with `after`). */
  SLOW_CONSUMER = 'SLOW_CONSUMER',
  /** A WebSocket asked for more subscriptions at once than allowed. */
  TOO_MANY_SUBSCRIPTIONS = 'TOO_MANY_SUBSCRIPTIONS',
  /** The client sent more requests than `RATE_LIMIT_*` allow (HTTP 429). */
  RATE_LIMITED = 'RATE_LIMITED',
}

/** An argument was invalid. `field` names the offending input path, e.g. `events[3].source.nodeId`. */
export class BadUserInputError extends GraphQLError {
  constructor(message: string, field?: string) {
    super(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, ...(field ? { field } : {}) } });
    this.name = 'BadUserInputError';
  }
}

/** No valid credentials were given for something that needs them (HTTP 401 on REST). */
export class UnauthenticatedError extends GraphQLError {
  constructor(message = 'Authentication required') {
    super(message, { extensions: { code: ErrorCode.UNAUTHENTICATED } });
    this.name = 'UnauthenticatedError';
  }
}

/** The caller's role does not allow the operation (HTTP 403 on REST). */
export class ForbiddenError extends GraphQLError {
  constructor(message: string) {
    super(message, { extensions: { code: ErrorCode.FORBIDDEN } });
    this.name = 'ForbiddenError';
  }
}

/** The database could not be reached; the call stored nothing and may be retried. */
export class ServiceUnavailableError extends GraphQLError {
  constructor(message = 'The event database is unavailable; try again shortly') {
    super(message, { extensions: { code: ErrorCode.SERVICE_UNAVAILABLE } });
    this.name = 'ServiceUnavailableError';
  }
}

/** The client is over its rate limit (MADSci's message, e.g. `Rate limit exceeded: 300 requests per 60 seconds`). */
export class RateLimitedError extends GraphQLError {
  constructor(detail: string) {
    super(detail, { extensions: { code: ErrorCode.RATE_LIMITED } });
    this.name = 'RateLimitedError';
  }
}

/** For exhaustive switches: reaching it is a compile-time error. */
export class UnreachableCaseError extends Error {
  constructor(value: never) {
    super(`Unreachable case: ${JSON.stringify(value)}`);
  }
}

const UNAVAILABLE_ERROR_NAMES = new Set([
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongooseServerSelectionError',
  'PoolClosedError',
  // The driver's pool errors (their `name`s), seen when the server dies under running operations.
  'MongoPoolClosedError',
  'MongoPoolClearedError',
  'PoolClearedOnNetworkError',
  'MongoServerClosedError',
  'MongoClientClosedError',
]);

/** Socket failures of Node, as the driver passes them on when the server goes away mid-write. */
const SOCKET_ERROR_CODES = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Whether an error means the database is unreachable (as opposed to a bad request or a bug).
 * A bulk write cut off by a lost connection is a `MongoBulkWriteError` without write errors
 * whose `errorResponse` (or `cause`) is the network error, or Node's own socket error (`EPIPE`
 * when FerretDB/MongoDB died between two writes): that is an outage too.
 */
export function isUnavailableError(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error)) return false;
  if (UNAVAILABLE_ERROR_NAMES.has(error.name)) return true;
  // Only inside a driver error: a bare socket error elsewhere is not the database's.
  const code = (error as Error & { code?: unknown }).code;
  if (depth > 0 && typeof code === 'string' && SOCKET_ERROR_CODES.has(code)) return true;
  if (depth >= 3) return false;
  const wrapped = error as Error & { errorResponse?: unknown; writeErrors?: unknown };
  const noWriteErrors = wrapped.writeErrors === undefined || (Array.isArray(wrapped.writeErrors) && wrapped.writeErrors.length === 0);
  return (noWriteErrors && isUnavailableError(wrapped.errorResponse, depth + 1)) || isUnavailableError(error.cause, depth + 1);
}

/** graphql-js's message (getVariableValues) once a request's variables produced too many errors. */
const VARIABLE_ERROR_LIMIT = 'Too many errors processing variables, error limit reached. Execution aborted.';

/**
 * Builds Apollo's `formatError`: known codes pass through; database outages become
 * `SERVICE_UNAVAILABLE`; anything else is `INTERNAL_SERVER_ERROR`, its message hidden when
 * `hideInternals` is set. Stack traces never leave the server.
 */
export function makeFormatError(options: {
  hideInternals: boolean;
  onInternalError: (error: unknown) => void;
}): (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError {
  return (formatted, error) => {
    const original = unwrapResolverError(error);
    const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
    if (isUnavailableError(original)) {
      return { ...formatted, message: new ServiceUnavailableError().message, extensions: { code: ErrorCode.SERVICE_UNAVAILABLE } };
    }
    // Apollo re-codes every validation error GRAPHQL_VALIDATION_FAILED; a rule of ours that set
    // its own code (the query limits: QUERY_TOO_COMPLEX) keeps it.
    const ownCode = error instanceof GraphQLError && error.originalError instanceof GraphQLError ? error.originalError.extensions.code : undefined;
    let code = typeof ownCode === 'string' ? ownCode : typeof extensions.code === 'string' ? extensions.code : ErrorCode.INTERNAL_SERVER_ERROR;
    // graphql-js stops coercing variables after 50 errors with an error of its own, without code
    // or location, which Apollo (unlike the 50 before it) then calls internal: it is bad input.
    if (code === ErrorCode.INTERNAL_SERVER_ERROR && formatted.message === VARIABLE_ERROR_LIMIT) code = ErrorCode.BAD_USER_INPUT;
    if (code === ErrorCode.INTERNAL_SERVER_ERROR) {
      options.onInternalError(original);
      return {
        ...formatted,
        message: options.hideInternals ? 'Internal server error' : formatted.message,
        extensions: { ...extensions, code },
      };
    }
    return { ...formatted, extensions: { ...extensions, code } };
  };
}
