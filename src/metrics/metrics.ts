import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The process's Prometheus registry: Node's default process metrics plus the server's own, all
 * served at `GET /metrics`. One registry per process (as Prometheus scrapes a process); servers
 * started in the same process (tests) share it, so tests read differences, not absolute values.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

/** What the live service reports (its `stats()`), as far as metrics read it. */
export interface LiveStatsSource {
  (): { slowConsumersEnded: number };
}

const liveStatsSources = new Set<LiveStatsSource>();
/** Dropped subscribers of servers that stopped, so the total never goes down. */
let retiredDropped = 0;

/**
 * Reports a server's live statistics at each scrape (one source per running server). Returns
 * the function to call when the server stops.
 */
export function trackLiveStats(source: LiveStatsSource): () => void {
  liveStatsSources.add(source);
  return () => {
    if (liveStatsSources.delete(source)) retiredDropped += source().slowConsumersEnded;
  };
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The server's metrics by name. Other features import this and count their own work
 * (`metrics.retentionRuns.inc({ outcome: 'success' })`); labels are listed on each.
 */
export const metrics = {
  /** GraphQL operations by name (bounded, see {@link operationLabel}), type and transport (`http`, `ws`). */
  graphqlRequests: new Counter({
    name: 'lab_events_graphql_requests_total',
    help: 'GraphQL operations executed, by operation name, type and transport',
    labelNames: ['operation', 'type', 'transport'] as const,
    registers: [registry],
  }),
  /** Time from receipt to response of queries and mutations (subscriptions are not timed). */
  graphqlDuration: new Histogram({
    name: 'lab_events_graphql_request_duration_seconds',
    help: 'GraphQL query and mutation latency, by operation name, type and transport',
    labelNames: ['operation', 'type', 'transport'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  }),
  /** Errors sent to clients, by `extensions.code`. */
  graphqlErrors: new Counter({
    name: 'lab_events_graphql_errors_total',
    help: 'GraphQL errors sent to clients, by extensions.code and transport',
    labelNames: ['code', 'transport'] as const,
    registers: [registry],
  }),
  /** Events newly stored (duplicates of stored ids not counted), whatever the route. */
  eventsIngested: new Counter({
    name: 'lab_events_events_ingested_total',
    help: 'Events newly stored through any ingest path (GraphQL, REST)',
    registers: [registry],
  }),
  /** Open WebSocket connections on the GraphQL path. */
  wsConnections: new Gauge({
    name: 'lab_events_ws_connections',
    help: 'Open WebSocket connections',
    registers: [registry],
  }),
  /** WebSocket connections accepted since start. */
  wsConnectionsTotal: new Counter({
    name: 'lab_events_ws_connections_total',
    help: 'WebSocket connections accepted',
    registers: [registry],
  }),
  /** Running subscription operations. */
  subscriptionsActive: new Gauge({
    name: 'lab_events_subscriptions_active',
    help: 'Running GraphQL subscriptions',
    registers: [registry],
  }),
  /** Subscription operations started since start. */
  subscriptionsTotal: new Counter({
    name: 'lab_events_subscriptions_total',
    help: 'GraphQL subscriptions started',
    registers: [registry],
  }),
  /** Subscriptions the server ended because they could not keep up; read from the live services at each scrape. */
  subscribersDropped: new Counter({
    name: 'lab_events_subscribers_dropped_total',
    help: 'Subscriptions ended by the server for being too slow',
    registers: [registry],
    collect() {
      let total = retiredDropped;
      for (const source of liveStatsSources) total += source().slowConsumersEnded;
      this.reset();
      if (total > 0) this.inc(total);
    },
  }),
  /** Runs of the retention task (`outcome`: `success` or `failure`). */
  retentionRuns: new Counter({
    name: 'lab_events_retention_runs_total',
    help: 'Retention task runs, by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  }),
  /** Events the retention task archived or deleted (`action`: `archived`, `deleted`). */
  retentionEvents: new Counter({
    name: 'lab_events_retention_events_total',
    help: 'Events archived or deleted by the retention task, by action',
    labelNames: ['action'] as const,
    registers: [registry],
  }),
  /** Backups taken (`trigger`: `manual`, `schedule`; `outcome`: `success`, `failure`). */
  backupRuns: new Counter({
    name: 'lab_events_backup_runs_total',
    help: 'Backup runs, by trigger and outcome',
    labelNames: ['trigger', 'outcome'] as const,
    registers: [registry],
  }),
  /** Latency of each store call (`operation`: the EventStore method; `outcome`: `ok`, `error`). */
  dbDuration: new Histogram({
    name: 'lab_events_db_operation_duration_seconds',
    help: 'Event store call latency, by engine, operation and outcome',
    labelNames: ['engine', 'operation', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  }),
  /** 1 when the last ping (taken at each scrape) reached the database. */
  dbUp: new Gauge({
    name: 'lab_events_db_up',
    help: 'Whether the database answered the ping taken at this scrape',
    labelNames: ['engine'] as const,
    registers: [registry],
  }),
};

/** Distinct operation names kept as labels; later new names count as `__other`. */
const MAX_OPERATION_LABELS = 200;
const operationNames = new Set<string>();

/**
 * The label of an operation name: clients choose names, so only well-formed names are kept, and
 * at most {@link MAX_OPERATION_LABELS} of them (series must stay bounded). `__anonymous` for
 * unnamed operations, `__invalid` for documents that never resolved to an operation.
 */
export function operationLabel(name: string | null | undefined, resolved = true): string {
  if (!resolved) return '__invalid';
  if (!name) return '__anonymous';
  if (!/^[_A-Za-z][_0-9A-Za-z]{0,63}$/.test(name)) return '__other';
  if (operationNames.has(name)) return name;
  if (operationNames.size >= MAX_OPERATION_LABELS) return '__other';
  operationNames.add(name);
  return name;
}

/**
 * Counts one run of the retention task; pass it as the task's `onRun` (its outcome: a result with
 * `archivedCount` and `deletedCount`, or an error).
 */
export function countRetentionRun(
  outcome: { result: { archivedCount: number; deletedCount: number } } | { error: unknown },
): void {
  if ('error' in outcome) {
    metrics.retentionRuns.inc({ outcome: 'failure' });
    return;
  }
  metrics.retentionRuns.inc({ outcome: 'success' });
  if (outcome.result.archivedCount > 0)
    metrics.retentionEvents.inc({ action: 'archived' }, outcome.result.archivedCount);
  if (outcome.result.deletedCount > 0) metrics.retentionEvents.inc({ action: 'deleted' }, outcome.result.deletedCount);
}
