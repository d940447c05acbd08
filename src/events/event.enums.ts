/*
 * The events service's enums, plain TypeScript. The GraphQL door registers them as GraphQL enums
 * (src/app/graphql/events/event.enums.ts). MADSci's event types and log levels are the stored
 * vocabulary, so they are defined in the store and re-exported here.
 */
export { EventLogLevel, EventType, EVENT_TYPE_VALUES, LOG_LEVEL_VALUES } from '../store/event-values';

/** Which events a filter sees with respect to archiving. */
export enum ArchiveState {
  ACTIVE = 'ACTIVE',
  ARCHIVED = 'ARCHIVED',
  ALL = 'ALL',
}

/** Sort order of `events`: by event timestamp, then id. */
export enum EventOrder {
  NEWEST_FIRST = 'NEWEST_FIRST',
  OLDEST_FIRST = 'OLDEST_FIRST',
}
