import { searchTextOf, SOURCE_KEYS, type EventDocument, type EventSourceDocument } from './event-document';
import { EventLogLevel, EventType, EVENT_TYPE_VALUES, LOG_LEVEL_VALUES } from './event-values';

/**
 * Reads a document written by anyone (this server, MADSci, an import) into a complete
 * {@link EventDocument}: missing fields get MADSci's defaults, string dates are parsed, unknown
 * types and levels fall back to `unknown` and the nearest defined level below. Never throws.
 */
export function normalizeStoredEvent(raw: Record<string, unknown>): EventDocument {
  const eventTimestamp = asDate(raw.event_timestamp) ?? new Date(0);
  const source: EventSourceDocument = {};
  const rawSource = raw.source;
  if (rawSource && typeof rawSource === 'object') {
    for (const key of SOURCE_KEYS) {
      const value = (rawSource as Record<string, unknown>)[key];
      if (typeof value === 'string') source[key] = value;
    }
  }
  const type = typeof raw.event_type === 'string' ? raw.event_type.toLowerCase() : '';
  const level = typeof raw.log_level === 'number' ? raw.log_level : EventLogLevel.INFO;
  const eventData = raw.event_data === undefined ? {} : raw.event_data;
  return {
    _id: String(raw._id),
    event_type: EVENT_TYPE_VALUES.has(type) ? type : EventType.UNKNOWN,
    log_level: LOG_LEVEL_VALUES.has(level) ? level : Math.max(0, Math.min(50, Math.floor(level / 10) * 10)),
    alert: raw.alert === true,
    event_timestamp: eventTimestamp,
    received_at: asDate(raw.received_at) ?? eventTimestamp,
    source,
    event_data: eventData,
    trace_id: typeof raw.trace_id === 'string' ? raw.trace_id : null,
    span_id: typeof raw.span_id === 'string' ? raw.span_id : null,
    archived: raw.archived === true,
    archived_at: asDate(raw.archived_at),
    search_text: typeof raw.search_text === 'string' ? raw.search_text : searchTextOf(eventData),
  };
}

function asDate(value: unknown): Date | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value === 'string') {
    // MADSci stores naive ISO text meaning UTC.
    const date = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);
    return Number.isNaN(date.getTime()) ? null : date;
  }
  return null;
}
