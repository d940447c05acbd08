/**
 * The one error vocabulary of the server. Services and stores throw {@link AppError}s; each door
 * (GraphQL over HTTP, graphql-ws, MADSci REST, downloads) turns them into its wire format in one
 * place (see docs/architecture.md, "Errors"). Nothing here knows GraphQL or HTTP frameworks: an
 * error only states its stable `code` and the HTTP status that code means.
 */

/** Every `extensions.code` (GraphQL) or error code (other doors) this server sends; docs/errors.md has each one's status per door. */
export enum ErrorCode {
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  /**
   * A request GraphQL over HTTP cannot take: a body that is not JSON, a POST refused by the CSRF
   * rule, a GET without a query, a mutation over GET (405), a subscription over HTTP. See docs/errors.md.
   */
  BAD_REQUEST = 'BAD_REQUEST',
  /** A GraphQL document that does not parse (Apollo's code; graphql-ws answers alike). */
  GRAPHQL_PARSE_FAILED = 'GRAPHQL_PARSE_FAILED',
  /** A GraphQL document that breaks a validation rule of the specification (Apollo's code). */
  GRAPHQL_VALIDATION_FAILED = 'GRAPHQL_VALIDATION_FAILED',
  /** A document whose operation to run cannot be told: several and no name, or an unknown name (Apollo's code). */
  OPERATION_RESOLUTION_FAILURE = 'OPERATION_RESOLUTION_FAILURE',
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

/** The HTTP status each code means, for the doors that answer with one. */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  [ErrorCode.BAD_USER_INPUT]: 400,
  [ErrorCode.BAD_REQUEST]: 400,
  [ErrorCode.GRAPHQL_PARSE_FAILED]: 400,
  [ErrorCode.GRAPHQL_VALIDATION_FAILED]: 400,
  [ErrorCode.OPERATION_RESOLUTION_FAILURE]: 400,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.QUERY_TOO_COMPLEX]: 400,
  [ErrorCode.PAYLOAD_TOO_LARGE]: 413,
  [ErrorCode.SERVICE_UNAVAILABLE]: 503,
  [ErrorCode.INTERNAL_SERVER_ERROR]: 500,
  [ErrorCode.SLOW_CONSUMER]: 503,
  [ErrorCode.TOO_MANY_SUBSCRIPTIONS]: 400,
  [ErrorCode.RATE_LIMITED]: 429,
};

/**
 * The base of every error the server means to send: a message for the caller, a stable `code`,
 * the HTTP `status` of that code, and, for bad input, the `field` it concerns.
 *
 * `extensions` is the same information as a plain object (`{code, field?}`): graphql-js copies
 * an original error's `extensions` when it wraps it (a resolver, a scalar, a subscription
 * stream), so the code survives every GraphQL path without the services knowing GraphQL.
 */
export class AppError extends Error {
  /** The input path an error of bad input concerns, e.g. `events[3].source.nodeId`. */
  readonly field: string | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: { field?: string | undefined; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.field = options.field || undefined;
  }

  /** The HTTP status of {@link code}. */
  get status(): number {
    return HTTP_STATUS[this.code];
  }

  /** `{code, field?}`, the shape GraphQL answers carry in `extensions` (see the class comment). */
  get extensions(): { code: ErrorCode; field?: string } {
    return { code: this.code, ...(this.field ? { field: this.field } : {}) };
  }
}

/** An argument was invalid. `field` names the offending input path, e.g. `events[3].source.nodeId`. */
export class BadUserInputError extends AppError {
  constructor(message: string, field?: string) {
    super(ErrorCode.BAD_USER_INPUT, message, { field });
  }
}

/** What was asked for does not exist (HTTP 404). */
export class NotFoundError extends AppError {
  constructor(message: string) {
    super(ErrorCode.NOT_FOUND, message);
  }
}

/** No valid credentials were given for something that needs them (HTTP 401). */
export class UnauthenticatedError extends AppError {
  constructor(message = 'Authentication required') {
    super(ErrorCode.UNAUTHENTICATED, message);
  }
}

/** The caller's role does not allow the operation (HTTP 403). */
export class ForbiddenError extends AppError {
  constructor(message: string) {
    super(ErrorCode.FORBIDDEN, message);
  }
}

/** A query deeper, wider or costlier than the configured limits allow. */
export class QueryTooComplexError extends AppError {
  constructor(message: string) {
    super(ErrorCode.QUERY_TOO_COMPLEX, message);
  }
}

/** The database could not be reached, or is busy with a restore; the call changed nothing and may be retried. */
export class ServiceUnavailableError extends AppError {
  constructor(message = 'The event database is unavailable; try again shortly', options: { cause?: unknown } = {}) {
    super(ErrorCode.SERVICE_UNAVAILABLE, message, options);
  }
}

/**
 * What both stores throw when their database cannot be reached (connection refused or lost, the
 * store closed): the driver's own error, if any, is the `cause`, and stays in the server's logs.
 */
export class StoreUnavailableError extends ServiceUnavailableError {
  constructor(cause?: unknown) {
    super(undefined, { cause });
  }
}

/** The client is over its rate limit (MADSci's message, e.g. `Rate limit exceeded: 300 requests per 60 seconds`). */
export class RateLimitedError extends AppError {
  constructor(detail: string) {
    super(ErrorCode.RATE_LIMITED, detail);
  }
}

/**
 * Ends a subscription whose consumer fell too far behind: more events queued for it than the
 * bound, or its socket's send buffer past the byte bound. The client resumes without a gap by
 * subscribing again with `after` set to the id of the last event it received.
 */
export class SlowConsumerError extends AppError {
  constructor(reason: string) {
    super(
      ErrorCode.SLOW_CONSUMER,
      `Subscription ended: the consumer fell too far behind (${reason}). Subscribe again with \`after\` set to the id of the last event received to resume without a gap.`,
    );
  }
}

/** A WebSocket asked for more subscriptions at once than `MAX_SUBSCRIPTIONS_PER_CONNECTION`. */
export class TooManySubscriptionsError extends AppError {
  constructor(max: number) {
    super(
      ErrorCode.TOO_MANY_SUBSCRIPTIONS,
      `At most ${max} subscriptions may be active on one connection; complete one first or open another connection`,
    );
  }
}

/** For exhaustive switches: reaching it is a compile-time error. */
export class UnreachableCaseError extends Error {
  constructor(value: never) {
    super(`Unreachable case: ${JSON.stringify(value)}`);
  }
}

/**
 * The {@link AppError} an error is or wraps (through `originalError`, as graphql-js and Apollo
 * wrap, or `cause`), or null for an unexpected error: a bug, which every door answers as
 * internal without its details.
 */
export function appErrorOf(error: unknown): AppError | null {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    if (current instanceof AppError) return current;
    const wrapper = current as Error & { originalError?: unknown };
    current = wrapper.originalError ?? wrapper.cause;
  }
  return null;
}
