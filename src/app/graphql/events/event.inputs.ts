import 'reflect-metadata';
import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, InputType } from 'type-graphql';
import type * as service from '../../../events/event.types';
import { DateTimeISO } from '../scalars';
import { ArchiveState, EventLogLevel, EventType } from './event.enums';

/*
 * The GraphQL input types of the events API. Each implements the events service's plain argument
 * type (src/events/event.types.ts), so resolvers pass what graphql-js coerced straight through.
 */

@InputType('EventSourceInput', {
  description: 'Who emitted the event. Each member, when given, must be a ULID (any case; stored upper-case).',
})
export class EventSourceInput implements service.EventSourceInput {
  @Field(() => String, { nullable: true }) userId?: string | null;
  @Field(() => String, { nullable: true }) experimentId?: string | null;
  @Field(() => String, { nullable: true }) campaignId?: string | null;
  @Field(() => String, { nullable: true }) projectId?: string | null;
  @Field(() => String, { nullable: true }) nodeId?: string | null;
  @Field(() => String, { nullable: true }) workcellId?: string | null;
  @Field(() => String, { nullable: true }) labId?: string | null;
  @Field(() => String, { nullable: true }) stepId?: string | null;
  @Field(() => String, { nullable: true }) workflowId?: string | null;
  @Field(() => String, { nullable: true }) managerId?: string | null;
}

@InputType('EventInput', {
  description: 'An event to log. Logging an id that exists returns the stored event unchanged.',
})
export class EventInput implements service.EventInput {
  @Field(() => ID, { nullable: true, description: 'Defaults to a new ULID.' })
  id?: string | null;

  @Field(() => EventType, { nullable: true, defaultValue: EventType.UNKNOWN })
  eventType?: EventType | null;

  @Field(() => EventLogLevel, { nullable: true, defaultValue: EventLogLevel.INFO })
  logLevel?: EventLogLevel | null;

  @Field(() => Boolean, { nullable: true, defaultValue: false })
  alert?: boolean | null;

  @Field(() => DateTimeISO, { nullable: true, description: 'Defaults to the time the server receives it.' })
  eventTimestamp?: Date | null;

  @Field(() => EventSourceInput, { nullable: true })
  source?: EventSourceInput | null;

  @Field(() => GraphQLJSON, { nullable: true, description: 'Defaults to {}.' })
  eventData?: unknown;

  @Field(() => String, { nullable: true })
  traceId?: string | null;

  @Field(() => String, { nullable: true })
  spanId?: string | null;
}

@InputType('EventSourceFilter', { description: 'Each member: match any of the listed ids.' })
export class EventSourceFilter implements service.EventSourceFilter {
  @Field(() => [String], { nullable: true }) userId?: string[] | null;
  @Field(() => [String], { nullable: true }) experimentId?: string[] | null;
  @Field(() => [String], { nullable: true }) campaignId?: string[] | null;
  @Field(() => [String], { nullable: true }) projectId?: string[] | null;
  @Field(() => [String], { nullable: true }) nodeId?: string[] | null;
  @Field(() => [String], { nullable: true }) workcellId?: string[] | null;
  @Field(() => [String], { nullable: true }) labId?: string[] | null;
  @Field(() => [String], { nullable: true }) stepId?: string[] | null;
  @Field(() => [String], { nullable: true }) workflowId?: string[] | null;
  @Field(() => [String], { nullable: true }) managerId?: string[] | null;
}

@InputType('EventFilter', {
  description:
    'Which events to read. All given conditions must hold. Every filter, nested ones included, applies its own `archived` condition.',
})
export class EventFilter implements service.EventFilter {
  @Field(() => EventLogLevel, { nullable: true, description: 'level >= minLevel' })
  minLevel?: EventLogLevel | null;

  @Field(() => [EventLogLevel], { nullable: true, description: 'level is one of these' })
  levels?: EventLogLevel[] | null;

  @Field(() => [EventType], { nullable: true, description: 'type is one of these' })
  eventTypes?: EventType[] | null;

  @Field(() => DateTimeISO, { nullable: true, description: 'eventTimestamp >= from' })
  from?: Date | null;

  @Field(() => DateTimeISO, { nullable: true, description: 'eventTimestamp < to' })
  to?: Date | null;

  @Field(() => EventSourceFilter, { nullable: true })
  source?: EventSourceFilter | null;

  @Field(() => Boolean, { nullable: true })
  alert?: boolean | null;

  @Field(() => ArchiveState, { nullable: true, defaultValue: ArchiveState.ACTIVE })
  archived?: ArchiveState | null;

  @Field(() => String, { nullable: true, description: "case-insensitive substring of the event's message/data" })
  text?: string | null;

  @Field(() => [EventFilter], { nullable: true, description: 'all of these hold' })
  and?: EventFilter[] | null;

  @Field(() => [EventFilter], { nullable: true, description: 'at least one of these holds' })
  or?: EventFilter[] | null;
}
