/**
 * The dashboard's GraphQL operations (public API only) and the shapes it reads from them.
 */

export const LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;
export type Level = 'NOTSET' | (typeof LEVELS)[number];

/** Source fields an event can be filtered by (EventSourceFilter members). */
export const SOURCE_FIELDS = [
  ['nodeId', 'Node'],
  ['workcellId', 'Workcell'],
  ['experimentId', 'Experiment'],
  ['workflowId', 'Workflow'],
  ['campaignId', 'Campaign'],
  ['userId', 'User'],
  ['labId', 'Lab'],
  ['stepId', 'Step'],
  ['projectId', 'Project'],
  ['managerId', 'Manager'],
] as const;
export type SourceField = (typeof SOURCE_FIELDS)[number][0];

export type EventSource = Partial<Record<SourceField, string | null>>;

/** An event as the dashboard shows it. */
export interface EventRow {
  id: string;
  eventType: string;
  logLevel: Level;
  alert: boolean;
  eventTimestamp: string;
  receivedAt: string;
  source: EventSource;
  eventData: unknown;
}

/** The contract's EventFilter, as far as the dashboard sets it. */
export interface EventFilter {
  minLevel?: Level;
  eventTypes?: string[];
  source?: Partial<Record<SourceField, string[]>>;
  from?: string;
  to?: string;
  text?: string;
}

const EVENT_FIELDS = `
  id
  eventType
  logLevel
  alert
  eventTimestamp
  receivedAt
  source { nodeId workcellId experimentId workflowId campaignId userId labId stepId projectId managerId }
  eventData
`;

export const EVENTS_QUERY = `
query DashboardEvents($filter: EventFilter, $first: Int, $after: String) {
  events(filter: $filter, first: $first, after: $after) {
    totalCount
    nodes { ${EVENT_FIELDS} }
    pageInfo { endCursor hasNextPage }
  }
}`;

export interface EventsResult {
  events: { totalCount: number; nodes: EventRow[]; pageInfo: { endCursor: string | null; hasNextPage: boolean } };
}

/** Live events; `after` (replay since an id) only when resuming after a reconnect. */
export function liveSubscription(withAfter: boolean): string {
  return withAfter
    ? `subscription DashboardLive($filter: EventFilter, $after: String) { eventLogged(filter: $filter, after: $after) { ${EVENT_FIELDS} } }`
    : `subscription DashboardLive($filter: EventFilter) { eventLogged(filter: $filter) { ${EVENT_FIELDS} } }`;
}

export interface LiveResult {
  eventLogged: EventRow;
}

export type TimeBucket = 'MINUTE' | 'HOUR' | 'DAY' | 'WEEK' | 'MONTH';

export const COUNTS_QUERY = `
query DashboardCounts($filter: EventFilter, $bucket: TimeBucket, $timezone: String) {
  eventCounts(filter: $filter, groupBy: LOG_LEVEL, bucket: $bucket, timezone: $timezone) {
    key
    bucketStart
    count
  }
}`;

export interface CountsResult {
  eventCounts: { key: string | null; bucketStart: string | null; count: number }[];
}

export const UTILIZATION_QUERY = `
query DashboardUtilization($from: DateTimeISO, $to: DateTimeISO) {
  sessionUtilization(from: $from, to: $to) { report }
}`;

/** The parts of MADSci's session report (`overall_summary`) the dashboard shows. */
export interface UtilizationResult {
  sessionUtilization: {
    report: {
      error?: string;
      overall_summary?: {
        error?: string;
        total_sessions?: number;
        total_system_runtime_hours?: number;
        total_active_time_hours?: number;
        average_system_utilization_percent?: number;
        total_experiments?: number;
        nodes_tracked?: number;
        node_summary?: Record<
          string,
          { average_utilization_percent?: number; total_busy_time_hours?: number; sessions_active?: number }
        >;
      };
    };
  };
}

export const EVENT_TYPES_QUERY = `query DashboardEventTypes { __type(name: "EventType") { enumValues { name } } }`;

export interface EventTypesResult {
  __type: { enumValues: { name: string }[] | null } | null;
}

export const SOURCE_NAMES_QUERY = `
query DashboardSourceNames($nodeIds: [String!], $workcellIds: [String!], $experimentIds: [String!], $workflowIds: [String!]) {
  sourceNames(nodeIds: $nodeIds, workcellIds: $workcellIds, experimentIds: $experimentIds, workflowIds: $workflowIds) {
    nodes { id name }
    workcells { id name }
    experiments { id name }
    workflows { id name }
  }
}`;

type NameList = { id: string; name: string | null }[];

export interface SourceNamesResult {
  sourceNames: { nodes: NameList; workcells: NameList; experiments: NameList; workflows: NameList };
}
