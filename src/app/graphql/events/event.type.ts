import 'reflect-metadata';
import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import type { EventDocument, EventSourceDocument } from '../../../store/event-document';
import { DateTimeISO } from '../scalars';
import { EventLogLevel, EventType } from './event.enums';

/*
 * The GraphQL `Event` and `EventSource` types over the stored document: camelCase GraphQL names
 * on MADSci's snake_case keys, so resolvers return stored documents unchanged. Every decorator has
 * an explicit type thunk: esbuild-based runners drop decorator metadata.
 */

/** Who emitted an event (MADSci's `OwnershipInfo`). Every member is an optional ULID. */
@ObjectType('EventSource', { description: 'Who emitted the event. Each member is a ULID or null.' })
export class EventSource implements EventSourceDocument {
  @Field(() => String, { name: 'userId', nullable: true })
  user_id?: string;

  @Field(() => String, { name: 'experimentId', nullable: true })
  experiment_id?: string;

  @Field(() => String, { name: 'campaignId', nullable: true })
  campaign_id?: string;

  @Field(() => String, { name: 'projectId', nullable: true })
  project_id?: string;

  @Field(() => String, { name: 'nodeId', nullable: true })
  node_id?: string;

  @Field(() => String, { name: 'workcellId', nullable: true })
  workcell_id?: string;

  @Field(() => String, { name: 'labId', nullable: true })
  lab_id?: string;

  @Field(() => String, { name: 'stepId', nullable: true })
  step_id?: string;

  @Field(() => String, { name: 'workflowId', nullable: true })
  workflow_id?: string;

  @Field(() => String, { name: 'managerId', nullable: true })
  manager_id?: string;
}

/** A laboratory event: the stored document as GraphQL shows it. */
@ObjectType('Event', { description: 'A laboratory event.' })
export class Event implements EventDocument {
  @Field(() => ID, { name: 'id', description: 'ULID (or the id a client chose).' })
  _id!: string;

  @Field(() => EventType, { name: 'eventType' })
  event_type!: string;

  @Field(() => EventLogLevel, { name: 'logLevel' })
  log_level!: number;

  @Field(() => Boolean, { name: 'alert', description: 'Forces an alert whatever the level.' })
  alert!: boolean;

  @Field(() => DateTimeISO, { name: 'eventTimestamp', description: 'When the event happened (as its producer says).' })
  event_timestamp!: Date;

  @Field(() => DateTimeISO, { name: 'receivedAt', description: 'When this server stored the event.' })
  received_at!: Date;

  @Field(() => EventSource, { name: 'source' })
  source!: EventSource;

  @Field(() => GraphQLJSON, { name: 'eventData', nullable: true, description: 'Free-form payload, usually an object.' })
  event_data!: unknown;

  @Field(() => String, { name: 'traceId', nullable: true })
  trace_id!: string | null;

  @Field(() => String, { name: 'spanId', nullable: true })
  span_id!: string | null;

  @Field(() => Boolean, { name: 'archived' })
  archived!: boolean;

  @Field(() => DateTimeISO, { name: 'archivedAt', nullable: true })
  archived_at!: Date | null;

  /** Lower-cased text of `event_data` for the `text` filter; not part of the GraphQL type. */
  search_text!: string;
}
