import { SOURCE_KEYS, type EventDocument, type EventSourceDocument } from '../store/event-document';

/*
 * How MADSci prints a stored event (its `Event` model as JSON), shared by the REST door
 * (src/app/rest/wire.ts) and the alert mail (src/live/alert-message.ts), which differ only in the
 * id key and the date format.
 */

/** A copy of `source` with only the members that are set, in MADSci's order (how MADSci prints it). */
export function presentSource(source: EventSourceDocument): Record<string, string> {
  const present: Record<string, string> = {};
  for (const key of SOURCE_KEYS) {
    const value = source[key];
    if (value != null) present[key] = value;
  }
  return present;
}

/** A stored event as MADSci prints it, without its id (whose key differs by place): field names and key order, `source` as {@link presentSource}, dates through `formatDate`. */
export interface MadsciEventFields {
  event_type: string;
  log_level: number;
  alert: boolean;
  event_timestamp: string;
  source: Record<string, string>;
  event_data: unknown;
  trace_id: string | null;
  span_id: string | null;
  archived: boolean;
  archived_at: string | null;
}

/** See {@link MadsciEventFields}; the server's own fields (`received_at`, `search_text`) are left out. */
export function madsciEventFields(doc: EventDocument, formatDate: (date: Date) => string): MadsciEventFields {
  return {
    event_type: doc.event_type,
    log_level: doc.log_level,
    alert: doc.alert,
    event_timestamp: formatDate(doc.event_timestamp),
    source: presentSource(doc.source),
    event_data: doc.event_data,
    trace_id: doc.trace_id,
    span_id: doc.span_id,
    archived: doc.archived,
    archived_at: doc.archived_at ? formatDate(doc.archived_at) : null,
  };
}
