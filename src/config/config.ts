import path from 'node:path';
import { z } from 'zod';

const intFrom = (fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);

/** The environment this server reads, validated. Everything else gets config passed down. */
const EnvSchema = z.object({
  NODE_ENV: z.string().default('development'),
  PORT: intFrom(8001, 0, 65535),
  HOST: z.string().min(1).default('127.0.0.1'),
  MONGODB_URI: z.preprocess(emptyAsUndefined, z.string().startsWith('mongodb').optional()),
  MONGODB_DATABASE: z.string().min(1).default('madsci_events'),
  MONGODB_COLLECTION: z.string().min(1).default('events'),
  DATA_DIR: z.string().min(1).default('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MAX_PAGE_SIZE: intFrom(1000, 1, 100_000),
  MAX_BATCH_SIZE: intFrom(10_000, 1, 1_000_000),
  MAX_BODY_BYTES: intFrom(8 * 1024 * 1024, 1024),
  MAX_SELECTOR_DEPTH: intFrom(20, 1, 200),
  MAX_FILTER_DEPTH: intFrom(10, 1, 100),
  SHUTDOWN_TIMEOUT_MS: intFrom(10_000, 0),
});

/** Typed, validated server configuration. */
export interface Config {
  nodeEnv: string;
  production: boolean;
  port: number;
  host: string;
  /** MongoDB when set; the embedded SQLite store otherwise. */
  mongo: { uri: string; database: string; collection: string } | null;
  /** Directory of the SQLite file (`events.db`). */
  dataDir: string;
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  limits: {
    /** Largest `first`/`limit` (default page size is 100). */
    maxPageSize: number;
    /** Largest `logEvents` batch. */
    maxBatchSize: number;
    /** Largest HTTP request body. */
    maxBodyBytes: number;
    /** Deepest raw selector accepted by `queryEvents`. */
    maxSelectorDepth: number;
    /** Deepest nesting of `and`/`or` in an `EventFilter`. */
    maxFilterDepth: number;
  };
  shutdownTimeoutMs: number;
}

/** Thrown when the environment is invalid; the message lists every problem. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads and validates configuration from an environment (default `process.env`).
 * @throws ConfigError naming each invalid variable.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  return {
    nodeEnv: e.NODE_ENV,
    production: e.NODE_ENV === 'production',
    port: e.PORT,
    host: e.HOST,
    mongo: e.MONGODB_URI ? { uri: e.MONGODB_URI, database: e.MONGODB_DATABASE, collection: e.MONGODB_COLLECTION } : null,
    dataDir: path.resolve(e.DATA_DIR),
    logLevel: e.LOG_LEVEL,
    limits: {
      maxPageSize: e.MAX_PAGE_SIZE,
      maxBatchSize: e.MAX_BATCH_SIZE,
      maxBodyBytes: e.MAX_BODY_BYTES,
      maxSelectorDepth: e.MAX_SELECTOR_DEPTH,
      maxFilterDepth: e.MAX_FILTER_DEPTH,
    },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
  };
}
