/**
 * What every door adds to a 503 (the database is unreachable, or the server is stopping): a
 * `Retry-After` in seconds, so that proxies and retrying clients (OTLP exporters, MADSci's client
 * through its HTTP session's retry policy) wait before trying again instead of hammering a store
 * that is reconnecting (docs/errors.md).
 */
export const RETRY_AFTER_SECONDS = 5;

/** The header's name and value. */
export const RETRY_AFTER_HEADER = ['Retry-After', String(RETRY_AFTER_SECONDS)] as const;
