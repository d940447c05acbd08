import path from 'node:path';
import { Cron } from 'croner';
import { z } from 'zod';
import { ApiKeyFormatError, parseApiKeys, type ApiKeyEntry } from './api-keys';
import { parseBooleanWord, SETTING_BOOLEANS } from './booleans';
import { parseRole, type Role } from './roles';
import { telemetrySettings, TelemetrySettingsError, type TelemetrySettings } from './telemetry-settings';

const intFrom = (fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);

/** A boolean variable: true/false, 1/0, yes/no, on/off (any case); anything else is invalid. */
const boolFrom = (fallback: boolean) =>
  z.preprocess((value) => {
    if (typeof value !== 'string' || value.trim() === '') return value === '' ? undefined : value;
    return parseBooleanWord(value.trim(), SETTING_BOOLEANS) ?? value;
  }, z.boolean().default(fallback));

/** MADSci's log level names, for `ALERT_LEVEL=ERROR` as well as `ALERT_LEVEL=40`. */
const LEVEL_BY_NAME: Readonly<Record<string, number>> = {
  NOTSET: 0,
  DEBUG: 10,
  INFO: 20,
  WARNING: 30,
  ERROR: 40,
  CRITICAL: 50,
};

/** A comma-separated list; empty items dropped. */
const listFrom = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text) =>
      text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== ''),
    );

/** The environment this server reads, validated. Everything else gets config passed down. */
const EnvSchema = z.object({
  NODE_ENV: z.string().default('development'),
  PORT: intFrom(8001, 0, 65535),
  HOST: z.string().min(1).default('127.0.0.1'),
  MONGODB_URI: z.preprocess(emptyAsUndefined, z.string().startsWith('mongodb').optional()),
  MONGODB_DATABASE: z.string().min(1).default('madsci_events'),
  MONGODB_COLLECTION: z.string().min(1).default('events'),
  // How long a MongoDB operation waits for a reachable server before failing (SERVICE_UNAVAILABLE).
  MONGODB_SERVER_SELECTION_TIMEOUT_MS: intFrom(5000, 100, 600_000),
  // Inserts with { w: 'majority', j: true }: durable once acknowledged (FerretDB accepts it too).
  MONGODB_JOURNALED_WRITES: boolFrom(true),
  DATA_DIR: z.string().min(1).default('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MAX_PAGE_SIZE: intFrom(1000, 1, 100_000),
  MAX_BATCH_SIZE: intFrom(10_000, 1, 1_000_000),
  MAX_BODY_BYTES: intFrom(8 * 1024 * 1024, 1024),
  MAX_SELECTOR_DEPTH: intFrom(20, 1, 200),
  MAX_FILTER_DEPTH: intFrom(10, 1, 100),
  // Deepest JSON accepted anywhere (variables, REST bodies); MongoDB's own document limit is 100.
  MAX_INPUT_DEPTH: intFrom(100, 4, 500),
  SHUTDOWN_TIMEOUT_MS: intFrom(10_000, 0),
  // Longer than clients keep idle sockets, so a client never reuses one the server is closing.
  KEEP_ALIVE_TIMEOUT_MS: intFrom(65_000, 1000, 3_600_000),
  // Query limits, applied to HTTP and WebSocket operations alike.
  MAX_QUERY_DEPTH: intFrom(12, 1, 100),
  MAX_ALIASES: intFrom(30, 0, 10_000),
  // One answer at most about 2 000 events with every field (docs/limits.md#query-cost).
  MAX_QUERY_COST: intFrom(50_000, 1),
  MAX_QUERY_TOKENS: intFrom(10_000, 100, 1_000_000),
  // Access control: API keys (role:salt:sha256, see `lab-events hash-key`), the role of keyless callers.
  API_KEYS: z.string().default(''),
  ANONYMOUS_ROLE: z.enum(['none', 'reader', 'writer', 'admin']).default('none'),
  INSECURE_BIND: boolFrom(false),
  // Analytics: where exportUtilizationReport writes (nowhere else: docs/madsci-compatibility.md#d8-server-side-csv-files).
  EXPORT_DIR: z.string().min(1).default('./data/exports'),
  // Rate limiting (MADSci's sliding windows, on every door) and the REST routes' CORS.
  RATE_LIMIT_ENABLED: boolFrom(true),
  RATE_LIMIT_REQUESTS: intFrom(300, 1),
  RATE_LIMIT_WINDOW: intFrom(60, 1),
  RATE_LIMIT_SHORT_REQUESTS: intFrom(50, 1),
  RATE_LIMIT_SHORT_WINDOW: intFrom(1, 1),
  RATE_LIMIT_CLEANUP_INTERVAL: intFrom(300, 1),
  RATE_LIMIT_EXEMPT_IPS: listFrom('127.0.0.1,::1'),
  CORS_ORIGINS: listFrom('*'),
  // Event lifecycle (MADSci's names and defaults): the retention task and backups.
  RETENTION_ENABLED: boolFrom(false),
  SOFT_DELETE_AFTER_DAYS: intFrom(90, 1, 100_000),
  HARD_DELETE_AFTER_DAYS: intFrom(365, 1, 100_000),
  // setTimeout holds at most about 24.8 days.
  RETENTION_CHECK_INTERVAL_HOURS: intFrom(24, 1, 24 * 24),
  ARCHIVE_BATCH_SIZE: intFrom(1000, 1, 100_000),
  MAX_BATCHES_PER_RUN: intFrom(100, 0),
  BACKUP_DIR: z.preprocess(emptyAsUndefined, z.string().min(1).optional()),
  BACKUP_MAX_COUNT: intFrom(10, 1, 10_000),
  BACKUP_SCHEDULE: z.preprocess(
    emptyAsUndefined,
    z.string().refine(isCronPattern, { message: 'not a cron pattern croner accepts (e.g. "0 3 * * *")' }).optional(),
  ),
  BACKUP_ENABLED: boolFrom(true),
  // Live subscriptions (graphql-ws) and their fan-out across instances.
  REDIS_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
      .optional(),
  ),
  REDIS_CHANNEL: z.string().min(1).default('lab-events:events'),
  MAX_SUBSCRIPTIONS_PER_CONNECTION: intFrom(20, 1, 10_000),
  SUBSCRIBER_BUFFER: intFrom(1000, 1, 1_000_000),
  SUBSCRIBER_BUFFER_BYTES: intFrom(16 * 1024 * 1024, 1024),
  WS_CONNECTION_INIT_TIMEOUT_MS: intFrom(3000, 0),
  WS_KEEPALIVE_MS: intFrom(12_000, 0),
  // Alerts (docs/madsci-compatibility.md#d28-which-events-alert-and-the-alert-mail): the level, email through SMTP, webhooks, and the delivery queue.
  ALERT_LEVEL: z.preprocess(
    (value) =>
      typeof value === 'string' && value.trim().toUpperCase() in LEVEL_BY_NAME
        ? LEVEL_BY_NAME[value.trim().toUpperCase()]
        : emptyAsUndefined(value),
    z.coerce
      .number()
      .int()
      .refine((level) => Object.values(LEVEL_BY_NAME).includes(level), 'must be a level name or 0, 10, 20, 30, 40, 50')
      .default(40),
  ),
  SMTP_SERVER: z.preprocess(emptyAsUndefined, z.string().min(1).optional()),
  SMTP_PORT: intFrom(587, 1, 65535),
  SMTP_USERNAME: z.preprocess(emptyAsUndefined, z.string().optional()),
  SMTP_PASSWORD: z.preprocess(emptyAsUndefined, z.string().optional()),
  SMTP_USE_TLS: boolFrom(true),
  SMTP_TLS_REJECT_UNAUTHORIZED: boolFrom(true),
  ALERT_EMAIL_SENDER: z.string().min(1).default('no-reply@example.com'),
  ALERT_EMAIL_ADDRESSES: listFrom(''),
  ALERT_EMAIL_IMPORTANCE: z.string().min(1).default('Normal'),
  ALERT_WEBHOOK_URLS: listFrom('').pipe(z.array(z.url({ protocol: /^https?$/ }))),
  ALERT_QUEUE_SIZE: intFrom(1000, 1, 1_000_000),
  ALERT_MAX_ATTEMPTS: intFrom(5, 1, 100),
  ALERT_RETRY_BASE_MS: intFrom(1000, 1),
  ALERT_RETRY_MAX_MS: intFrom(60_000, 1),
  ALERT_TIMEOUT_MS: intFrom(10_000, 1),
  // Browser pages and metrics. IDE_ENABLED unset: on, except under NODE_ENV=production.
  IDE_ENABLED: boolFrom(true),
  IDE_API_KEY_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, 'must be an HTTP header name')
    .default('X-API-Key'),
  DASHBOARD_ENABLED: boolFrom(true),
  METRICS_ENABLED: boolFrom(true),
  // GraphQL introspection (HTTP and WebSocket). Unset: on, except under NODE_ENV=production.
  INTROSPECTION: boolFrom(true),
});

/** Typed, validated server configuration. */
export interface Config {
  nodeEnv: string;
  production: boolean;
  port: number;
  host: string;
  /** MongoDB when set; the embedded SQLite store otherwise. */
  mongo: {
    uri: string;
    database: string;
    collection: string;
    /** MONGODB_SERVER_SELECTION_TIMEOUT_MS: wait for a reachable server before failing. Default 5000. */
    serverSelectionTimeoutMS: number;
    /** MONGODB_JOURNALED_WRITES: inserts acknowledged only once journaled on a majority. Default on. */
    journaledWrites: boolean;
  } | null;
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
    /** Deepest JSON input (GraphQL variables, REST bodies), objects and arrays counted. Default 100. */
    maxInputDepth: number;
    /** Deepest selection in an operation (introspection not counted). Default 12. */
    maxQueryDepth: number;
    /** Most aliased fields in one operation. Default 30. */
    maxAliases: number;
    /** Highest estimated cost of an operation (list fields count their page size). Default 50 000 (docs/limits.md#query-cost). */
    maxQueryCost: number;
    /** Most lexical tokens in one document: bounds the parser's work before any other limit runs. Default 10 000. */
    maxQueryTokens: number;
  };
  shutdownTimeoutMs: number;
  /** How long an idle keep-alive connection stays open (`KEEP_ALIVE_TIMEOUT_MS`, default 65 s). */
  keepAliveTimeoutMs: number;
  /** Access control. */
  auth: {
    /** `API_KEYS`: entries `role:salt:sha256hex`; none configured means no access control. */
    apiKeys: ApiKeyEntry[];
    /** Role of callers without a key when keys are configured (null: none). Default none. */
    anonymousRole: Role | null;
    /** Serve a non-loopback HOST without API keys. Default false (the server then refuses to start). */
    insecureBind: boolean;
  };
  /** Absolute directory `exportUtilizationReport` writes into (`EXPORT_DIR`, default `./data/exports`). */
  exportDir: string;
  /** Per-client rate limiting (IP address, two sliding windows), shared by every door. Default on. */
  rateLimit: {
    enabled: boolean;
    /** Requests allowed per `windowSeconds`. */
    requests: number;
    windowSeconds: number;
    /** Burst limit: requests allowed per `shortWindowSeconds`. */
    shortRequests: number;
    shortWindowSeconds: number;
    /** How often idle clients are forgotten. */
    cleanupIntervalSeconds: number;
    /** Client addresses never limited (loopback by default, as MADSci). */
    exemptIps: string[];
  };
  /** Origins the MADSci REST routes allow (`['*']`: any, without credentials). */
  corsOrigins: string[];
  /** The validated environment (variable name to value), for `/settings`, which redacts secrets. */
  env: Readonly<Record<string, unknown>>;
  /** The background retention task and the archive batch default (MADSci's settings). */
  retention: {
    /** Whether the task runs (at start-up, then every `checkIntervalHours`). Default false. */
    enabled: boolean;
    /** Events whose `event_timestamp` is older are archived by the task. Default 90. */
    softDeleteAfterDays: number;
    /** Archived events whose `archived_at` is older are deleted by the task. Default 365. */
    hardDeleteAfterDays: number;
    /** Pause between runs. Default 24. */
    checkIntervalHours: number;
    /** Events per batch, for the task and `archiveEvents` without `batchSize`. Default 1000. */
    archiveBatchSize: number;
    /** Batch cap per run and phase (0: none). Default 100. */
    maxBatchesPerRun: number;
  };
  /** Backups (mongodump's layout, gzip). */
  backup: {
    /** Absolute directory holding the backups. Default `<DATA_DIR>/backups` (`./data/backups`). */
    dir: string;
    /** Rotation keeps this many newest backups. Default 10. */
    maxCount: number;
    /** Cron pattern of scheduled backups (croner; server local time), or null for none. */
    schedule: string | null;
    /** Scheduled backups run when this is set and `schedule` is given. Default true. */
    enabled: boolean;
    /** Database and collection names of the dump layout (`<database>/<collection>.bson.gz`). */
    database: string;
    collection: string;
  };
  /** Live subscriptions over graphql-ws. */
  live: {
    /** Redis for fan-out across instances (`REDIS_URL`); null: in process only. */
    redisUrl: string | null;
    /** Redis pub/sub channel of logged events. Default `lab-events:events`. */
    redisChannel: string;
    /** Subscriptions one WebSocket may hold at once. Default 20. */
    maxSubscriptionsPerConnection: number;
    /** Events queued for one subscriber before it is ended as too slow. Default 1000. */
    subscriberBuffer: number;
    /** Bytes waiting in one socket's send buffer before its subscriptions are ended as too slow. Default 16 MiB. */
    subscriberBufferBytes: number;
    /** A socket that sends no `connection_init` within this is closed (4408). Default 3000; 0: never. */
    connectionInitTimeoutMs: number;
    /** Server pings every this often; a socket that has not answered the previous ping is terminated. Default 12000; 0: off. */
    keepAliveMs: number;
  };
  /** Alerts: which events, and where they go. */
  alerts: {
    /** Events at or above this level (or with `alert: true`) are alerts. Default 40 (ERROR). */
    level: number;
    /** Email through SMTP (MADSci's `email_alerts`); null when `SMTP_SERVER` is unset. */
    email: {
      server: string;
      port: number;
      username: string | null;
      password: string | null;
      /** STARTTLS required. Default true. */
      useTls: boolean;
      /** Verify the SMTP server's certificate. Default true. */
      rejectUnauthorized: boolean;
      sender: string;
      addresses: string[];
      /** `Importance` header: High, Normal (default) or Low. */
      importance: string;
    } | null;
    /** Each receives a JSON POST per alert. */
    webhookUrls: string[];
    /** Deliveries waiting or in flight at most; more are dropped and counted. Default 1000. */
    queueSize: number;
    /** Tries per delivery. Default 5. */
    maxAttempts: number;
    /** Backoff before retry n is `retryBaseMs * 2^(n-1)`, at most `retryMaxMs`. Defaults 1000 and 60000. */
    retryBaseMs: number;
    retryMaxMs: number;
    /** Time limit of one attempt (SMTP connection, greeting, socket idle; webhook request). Default 10000. */
    timeoutMs: number;
  };
  /** Browser pages, bundled at build time into `dist/web` and served offline. */
  web: {
    /** The GraphQL IDE at `GET /graphql` (Accept: text/html). Default on, off in production. */
    ideEnabled: boolean;
    /** Header the IDE's header editor starts with, for an API key. Default `X-API-Key`. */
    apiKeyHeader: string;
    /** The lab dashboard at `/`. Default on. */
    dashboardEnabled: boolean;
  };
  /** Prometheus text at `GET /metrics`. Default on. */
  metrics: { enabled: boolean };
  /** GraphQL introspection over HTTP and WebSocket. Default on, off in production. */
  introspection: boolean;
  /** Tracing as the preload started it (`OTEL_*`, see telemetry-settings.ts); off by default. */
  telemetry: TelemetrySettings;
}

/** Whether croner accepts a cron pattern. */
function isCronPattern(pattern: string): boolean {
  try {
    new Cron(pattern, { paused: true }).stop();
    return true;
  } catch {
    return false;
  }
}

/** `API_KEYS` parsed, its format errors reported as configuration errors. */
function parseKeys(text: string): ApiKeyEntry[] {
  try {
    return parseApiKeys(text);
  } catch (error) {
    if (error instanceof ApiKeyFormatError) throw new ConfigError(`Invalid configuration: ${error.message}`);
    throw error;
  }
}

/** The tracing settings, their errors reported as configuration errors. */
function parseTelemetry(env: Record<string, string | undefined>): TelemetrySettings {
  try {
    return telemetrySettings(env);
  } catch (error) {
    if (error instanceof TelemetrySettingsError) throw new ConfigError(`Invalid configuration: ${error.message}`);
    throw error;
  }
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
    mongo: e.MONGODB_URI
      ? {
          uri: e.MONGODB_URI,
          database: e.MONGODB_DATABASE,
          collection: e.MONGODB_COLLECTION,
          serverSelectionTimeoutMS: e.MONGODB_SERVER_SELECTION_TIMEOUT_MS,
          journaledWrites: e.MONGODB_JOURNALED_WRITES,
        }
      : null,
    dataDir: path.resolve(e.DATA_DIR),
    logLevel: e.LOG_LEVEL,
    limits: {
      maxPageSize: e.MAX_PAGE_SIZE,
      maxBatchSize: e.MAX_BATCH_SIZE,
      maxBodyBytes: e.MAX_BODY_BYTES,
      maxSelectorDepth: e.MAX_SELECTOR_DEPTH,
      maxFilterDepth: e.MAX_FILTER_DEPTH,
      maxInputDepth: e.MAX_INPUT_DEPTH,
      maxQueryDepth: e.MAX_QUERY_DEPTH,
      maxAliases: e.MAX_ALIASES,
      maxQueryCost: e.MAX_QUERY_COST,
      maxQueryTokens: e.MAX_QUERY_TOKENS,
    },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    keepAliveTimeoutMs: e.KEEP_ALIVE_TIMEOUT_MS,
    auth: {
      apiKeys: parseKeys(e.API_KEYS),
      anonymousRole: e.ANONYMOUS_ROLE === 'none' ? null : parseRole(e.ANONYMOUS_ROLE),
      insecureBind: e.INSECURE_BIND,
    },
    exportDir: path.resolve(e.EXPORT_DIR),
    rateLimit: {
      enabled: e.RATE_LIMIT_ENABLED,
      requests: e.RATE_LIMIT_REQUESTS,
      windowSeconds: e.RATE_LIMIT_WINDOW,
      shortRequests: e.RATE_LIMIT_SHORT_REQUESTS,
      shortWindowSeconds: e.RATE_LIMIT_SHORT_WINDOW,
      cleanupIntervalSeconds: e.RATE_LIMIT_CLEANUP_INTERVAL,
      exemptIps: e.RATE_LIMIT_EXEMPT_IPS,
    },
    corsOrigins: e.CORS_ORIGINS,
    env: { ...e },
    retention: {
      enabled: e.RETENTION_ENABLED,
      softDeleteAfterDays: e.SOFT_DELETE_AFTER_DAYS,
      hardDeleteAfterDays: e.HARD_DELETE_AFTER_DAYS,
      checkIntervalHours: e.RETENTION_CHECK_INTERVAL_HOURS,
      archiveBatchSize: e.ARCHIVE_BATCH_SIZE,
      maxBatchesPerRun: e.MAX_BATCHES_PER_RUN,
    },
    backup: {
      dir: path.resolve(e.BACKUP_DIR ?? path.join(e.DATA_DIR, 'backups')),
      maxCount: e.BACKUP_MAX_COUNT,
      schedule: e.BACKUP_SCHEDULE ?? null,
      enabled: e.BACKUP_ENABLED,
      database: e.MONGODB_DATABASE,
      collection: e.MONGODB_COLLECTION,
    },
    live: {
      redisUrl: e.REDIS_URL ?? null,
      redisChannel: e.REDIS_CHANNEL,
      maxSubscriptionsPerConnection: e.MAX_SUBSCRIPTIONS_PER_CONNECTION,
      subscriberBuffer: e.SUBSCRIBER_BUFFER,
      subscriberBufferBytes: e.SUBSCRIBER_BUFFER_BYTES,
      connectionInitTimeoutMs: e.WS_CONNECTION_INIT_TIMEOUT_MS,
      keepAliveMs: e.WS_KEEPALIVE_MS,
    },
    alerts: {
      level: e.ALERT_LEVEL,
      email: e.SMTP_SERVER
        ? {
            server: e.SMTP_SERVER,
            port: e.SMTP_PORT,
            username: e.SMTP_USERNAME ?? null,
            password: e.SMTP_PASSWORD ?? null,
            useTls: e.SMTP_USE_TLS,
            rejectUnauthorized: e.SMTP_TLS_REJECT_UNAUTHORIZED,
            sender: e.ALERT_EMAIL_SENDER,
            addresses: e.ALERT_EMAIL_ADDRESSES,
            importance: e.ALERT_EMAIL_IMPORTANCE,
          }
        : null,
      webhookUrls: e.ALERT_WEBHOOK_URLS,
      queueSize: e.ALERT_QUEUE_SIZE,
      maxAttempts: e.ALERT_MAX_ATTEMPTS,
      retryBaseMs: e.ALERT_RETRY_BASE_MS,
      retryMaxMs: e.ALERT_RETRY_MAX_MS,
      timeoutMs: e.ALERT_TIMEOUT_MS,
    },
    web: {
      ideEnabled: env.IDE_ENABLED?.trim() ? e.IDE_ENABLED : e.NODE_ENV !== 'production',
      apiKeyHeader: e.IDE_API_KEY_HEADER,
      dashboardEnabled: e.DASHBOARD_ENABLED,
    },
    metrics: { enabled: e.METRICS_ENABLED },
    introspection: env.INTROSPECTION?.trim() ? e.INTROSPECTION : e.NODE_ENV !== 'production',
    telemetry: parseTelemetry(env),
  };
}

/**
 * Every variable this server reads, with its value when none is set (`undefined` for optional
 * ones), in declaration order (for `/settings`).
 */
export function configDefaults(): Readonly<Record<string, unknown>> {
  const parsed: Record<string, unknown> = EnvSchema.parse({});
  return Object.fromEntries(Object.keys(EnvSchema.shape).map((name) => [name, parsed[name]]));
}

/** JSON Schema of the environment this server reads (for `/settings?include_schema=true`). */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(EnvSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
