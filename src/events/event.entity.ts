import 'reflect-metadata';
import { index, modelOptions, prop, Severity } from '@typegoose/typegoose';
import mongoose from 'mongoose';
import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import { DateTimeISO } from '../app/graphql/scalars';
import type { EventDocument, EventSourceDocument } from '../store/event-document';
import { EventLogLevel, EventType } from './event.enums';

/*
 * One class serves GraphQL (camelCase names) and MongoDB (MADSci's snake_case document). Every
 * decorator has an explicit type thunk: esbuild-based runners drop decorator metadata.
 */

/** Who emitted an event (MADSci's `OwnershipInfo`). Every member is an optional ULID. */
@ObjectType('EventSource', { description: 'Who emitted the event. Each member is a ULID or null.' })
@modelOptions({ schemaOptions: { _id: false, versionKey: false } })
export class EventSource implements EventSourceDocument {
  @Field(() => String, { name: 'userId', nullable: true })
  @prop({ type: () => String })
  user_id?: string;

  @Field(() => String, { name: 'experimentId', nullable: true })
  @prop({ type: () => String })
  experiment_id?: string;

  @Field(() => String, { name: 'campaignId', nullable: true })
  @prop({ type: () => String })
  campaign_id?: string;

  @Field(() => String, { name: 'projectId', nullable: true })
  @prop({ type: () => String })
  project_id?: string;

  @Field(() => String, { name: 'nodeId', nullable: true })
  @prop({ type: () => String })
  node_id?: string;

  @Field(() => String, { name: 'workcellId', nullable: true })
  @prop({ type: () => String })
  workcell_id?: string;

  @Field(() => String, { name: 'labId', nullable: true })
  @prop({ type: () => String })
  lab_id?: string;

  @Field(() => String, { name: 'stepId', nullable: true })
  @prop({ type: () => String })
  step_id?: string;

  @Field(() => String, { name: 'workflowId', nullable: true })
  @prop({ type: () => String })
  workflow_id?: string;

  @Field(() => String, { name: 'managerId', nullable: true })
  @prop({ type: () => String })
  manager_id?: string;
}

/** A laboratory event, stored in MADSci's document shape. */
@ObjectType('Event', { description: 'A laboratory event.' })
@modelOptions({
  schemaOptions: { versionKey: false, minimize: false },
  options: { allowMixed: Severity.ALLOW },
})
@index({ archived: 1, event_timestamp: -1, _id: -1 })
@index({ event_timestamp: -1, _id: -1 })
@index({ received_at: 1, _id: 1 })
@index({ log_level: 1, event_timestamp: -1 })
@index({ event_type: 1, event_timestamp: -1 })
@index({ 'source.node_id': 1, event_timestamp: -1 })
@index({ 'source.workcell_id': 1, event_timestamp: -1 })
@index({ 'source.workflow_id': 1, event_timestamp: -1 })
@index({ 'source.experiment_id': 1, event_timestamp: -1 })
@index({ 'source.user_id': 1, event_timestamp: -1 })
@index({ archived: 1, archived_at: 1 })
export class Event implements EventDocument {
  @Field(() => ID, { name: 'id', description: 'ULID (or the id a client chose).' })
  @prop({ type: () => String, required: true })
  _id!: string;

  @Field(() => EventType, { name: 'eventType' })
  @prop({ type: () => String, required: true })
  event_type!: string;

  @Field(() => EventLogLevel, { name: 'logLevel' })
  @prop({ type: () => Number, required: true })
  log_level!: number;

  @Field(() => Boolean, { name: 'alert', description: 'Forces an alert whatever the level.' })
  @prop({ type: () => Boolean, required: true, default: false })
  alert!: boolean;

  @Field(() => DateTimeISO, { name: 'eventTimestamp', description: 'When the event happened (as its producer says).' })
  @prop({ type: () => Date, required: true })
  event_timestamp!: Date;

  @Field(() => DateTimeISO, { name: 'receivedAt', description: 'When this server stored the event.' })
  @prop({ type: () => Date, required: true })
  received_at!: Date;

  @Field(() => EventSource, { name: 'source' })
  @prop({ type: () => EventSource, _id: false, default: {} })
  source!: EventSource;

  @Field(() => GraphQLJSON, { name: 'eventData', nullable: true, description: 'Free-form payload, usually an object.' })
  @prop({ type: () => mongoose.Schema.Types.Mixed })
  event_data!: unknown;

  @Field(() => String, { name: 'traceId', nullable: true })
  @prop({ type: () => String, default: null })
  trace_id!: string | null;

  @Field(() => String, { name: 'spanId', nullable: true })
  @prop({ type: () => String, default: null })
  span_id!: string | null;

  @Field(() => Boolean, { name: 'archived' })
  @prop({ type: () => Boolean, required: true, default: false })
  archived!: boolean;

  @Field(() => DateTimeISO, { name: 'archivedAt', nullable: true })
  @prop({ type: () => Date, default: null })
  archived_at!: Date | null;

  /** Lower-cased text of `event_data` for the `text` filter; not part of the GraphQL type. */
  @prop({ type: () => String, default: '' })
  search_text!: string;
}
