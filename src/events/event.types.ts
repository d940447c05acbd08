import type { ArchiveState, EventLogLevel, EventType } from './event.enums';

/*
 * The arguments of the events service, plain TypeScript: every door builds them (the GraphQL input
 * classes in src/app/graphql/events/event.inputs.ts implement them, the REST door and the downloads
 * fill them from their own wire formats).
 */

/** The ten source members: the name a client uses (camelCase) and the stored key, in MADSci's order. */
export const SOURCE_FIELDS = [
  ['userId', 'user_id'],
  ['experimentId', 'experiment_id'],
  ['campaignId', 'campaign_id'],
  ['projectId', 'project_id'],
  ['nodeId', 'node_id'],
  ['workcellId', 'workcell_id'],
  ['labId', 'lab_id'],
  ['stepId', 'step_id'],
  ['workflowId', 'workflow_id'],
  ['managerId', 'manager_id'],
] as const;

/** A source member's name as clients give it (`nodeId`). */
export type SourceFieldName = (typeof SOURCE_FIELDS)[number][0];

/** Who emitted an event. Each member, when given, must be a ULID (any case; stored upper-case). */
export type EventSourceInput = Partial<Record<SourceFieldName, string | null>>;

/**
 * An event to log. Every member is optional: `id` defaults to a new ULID, `eventType` to
 * `UNKNOWN`, `logLevel` to `INFO`, `alert` to false, `eventTimestamp` to the time the server
 * receives it, `eventData` to `{}` (see `buildEventDocument`).
 */
export interface EventInput {
  id?: string | null;
  eventType?: EventType | null;
  logLevel?: EventLogLevel | null;
  alert?: boolean | null;
  eventTimestamp?: Date | null;
  source?: EventSourceInput | null;
  eventData?: unknown;
  traceId?: string | null;
  spanId?: string | null;
}

/** Source condition of a filter: each member matches any of the listed ids. */
export type EventSourceFilter = Partial<Record<SourceFieldName, string[] | null>>;

/**
 * Which events to read. All given conditions must hold; every filter, nested ones included,
 * applies its own `archived` condition (default `ACTIVE`). See `filterToSelector` for the meaning.
 */
export interface EventFilter {
  /** level >= minLevel */
  minLevel?: EventLogLevel | null;
  /** level is one of these */
  levels?: EventLogLevel[] | null;
  /** type is one of these */
  eventTypes?: EventType[] | null;
  /** eventTimestamp >= from */
  from?: Date | null;
  /** eventTimestamp < to */
  to?: Date | null;
  source?: EventSourceFilter | null;
  alert?: boolean | null;
  archived?: ArchiveState | null;
  /** case-insensitive substring of the event's message/data */
  text?: string | null;
  /** all of these hold */
  and?: EventFilter[] | null;
  /** at least one of these holds */
  or?: EventFilter[] | null;
}
