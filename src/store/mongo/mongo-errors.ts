import { StoreUnavailableError } from '../../core/errors';

/** Names of the driver's (and mongoose's) errors that mean the server cannot be reached. */
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
const SOCKET_ERROR_CODES = new Set([
  'EPIPE',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * Whether a driver error means the database is unreachable (as opposed to a bad request or a
 * bug). A bulk write cut off by a lost connection is a `MongoBulkWriteError` without write errors
 * whose `errorResponse` (or `cause`) is the network error, or Node's own socket error (`EPIPE`
 * when FerretDB/MongoDB died between two writes): that is an outage too.
 */
export function isMongoUnavailable(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error)) return false;
  if (UNAVAILABLE_ERROR_NAMES.has(error.name)) return true;
  // Only inside a driver error: a bare socket error elsewhere is not the database's.
  const code = (error as Error & { code?: unknown }).code;
  if (depth > 0 && typeof code === 'string' && SOCKET_ERROR_CODES.has(code)) return true;
  if (depth >= 3) return false;
  const wrapped = error as Error & { errorResponse?: unknown; writeErrors?: unknown };
  const noWriteErrors =
    wrapped.writeErrors === undefined || (Array.isArray(wrapped.writeErrors) && wrapped.writeErrors.length === 0);
  return (
    (noWriteErrors && isMongoUnavailable(wrapped.errorResponse, depth + 1)) ||
    isMongoUnavailable(error.cause, depth + 1)
  );
}

/** A driver error as the store reports it: {@link StoreUnavailableError} for an outage, else unchanged. */
export function toStoreError(error: unknown): unknown {
  return isMongoUnavailable(error) ? new StoreUnavailableError(error) : error;
}
