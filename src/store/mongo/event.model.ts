import 'reflect-metadata';
import { index, modelOptions, prop, Severity } from '@typegoose/typegoose';
import mongoose from 'mongoose';
import type { EventDocument, EventSourceDocument } from '../event-document';

/*
 * The Typegoose classes of the MongoDB store: the schema and indexes of MADSci's snake_case
 * event document. Every decorator has an explicit type thunk: esbuild-based runners drop
 * decorator metadata.
 */

/** The `source` subdocument (MADSci's `OwnershipInfo`). Every member is an optional ULID. */
@modelOptions({ schemaOptions: { _id: false, versionKey: false } })
export class StoredEventSource implements EventSourceDocument {
  @prop({ type: () => String })
  user_id?: string;

  @prop({ type: () => String })
  experiment_id?: string;

  @prop({ type: () => String })
  campaign_id?: string;

  @prop({ type: () => String })
  project_id?: string;

  @prop({ type: () => String })
  node_id?: string;

  @prop({ type: () => String })
  workcell_id?: string;

  @prop({ type: () => String })
  lab_id?: string;

  @prop({ type: () => String })
  step_id?: string;

  @prop({ type: () => String })
  workflow_id?: string;

  @prop({ type: () => String })
  manager_id?: string;
}

/** A stored event; the indexes serve the reads of the events service and the reports. */
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
export class StoredEvent implements EventDocument {
  @prop({ type: () => String, required: true })
  _id!: string;

  @prop({ type: () => String, required: true })
  event_type!: string;

  @prop({ type: () => Number, required: true })
  log_level!: number;

  @prop({ type: () => Boolean, required: true, default: false })
  alert!: boolean;

  @prop({ type: () => Date, required: true })
  event_timestamp!: Date;

  @prop({ type: () => Date, required: true })
  received_at!: Date;

  @prop({ type: () => StoredEventSource, _id: false, default: {} })
  source!: StoredEventSource;

  @prop({ type: () => mongoose.Schema.Types.Mixed })
  event_data!: unknown;

  @prop({ type: () => String, default: null })
  trace_id!: string | null;

  @prop({ type: () => String, default: null })
  span_id!: string | null;

  @prop({ type: () => Boolean, required: true, default: false })
  archived!: boolean;

  @prop({ type: () => Date, default: null })
  archived_at!: Date | null;

  /** Lower-cased text of `event_data` for the `text` filter. */
  @prop({ type: () => String, default: '' })
  search_text!: string;
}
