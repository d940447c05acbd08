import { monotonicFactory } from 'ulid';
import { BadUserInputError } from '../core/errors';
import { searchTextOf, SOURCE_KEYS, type EventDocument, type EventSourceDocument } from '../store/event-document';
import { EventLogLevel, EventType, EVENT_TYPE_VALUES, LOG_LEVEL_VALUES } from './event.enums';
import { SOURCE_FIELDS, type EventInput } from './event.inputs';
import { normalizeUlid } from './ulid';

const MAX_ID_LENGTH = 128;
const MAX_TRACE_LENGTH = 128;
// Monotonic within a millisecond, so the ids of one batch sort in the order they were sent.
const nextUlid = monotonicFactory();

/**
 * Builds the stored document for an incoming event: fills MADSci's defaults, checks the source
 * ULIDs (any case; stored upper-case) and stamps `received_at`.
 * @param path where the input sits in the request, for error messages (`event`, `events[3]`).
 * @throws BadUserInputError naming the offending field.
 */
export function buildEventDocument(input: EventInput, receivedAt: Date, path: string): EventDocument {
  const id = input.id ?? nextUlid(receivedAt.getTime());
  if (id.length === 0 || id.length > MAX_ID_LENGTH || /[\u0000-\u001f]/.test(id)) {
    throw new BadUserInputError(`id must be 1 to ${MAX_ID_LENGTH} printable characters`, `${path}.id`);
  }
  const source: EventSourceDocument = {};
  for (const [name, key] of SOURCE_FIELDS) {
    const value = input.source?.[name];
    if (value == null) continue;
    const normalized = normalizeUlid(value);
    if (!normalized) throw new BadUserInputError(`source.${name} must be a ULID, got ${JSON.stringify(value.slice(0, 40))}`, `${path}.source.${name}`);
    source[key] = normalized;
  }
  for (const [name, value] of [['traceId', input.traceId], ['spanId', input.spanId]] as const) {
    if (value != null && value.length > MAX_TRACE_LENGTH) {
      throw new BadUserInputError(`${name} may be at most ${MAX_TRACE_LENGTH} characters`, `${path}.${name}`);
    }
  }
  const eventData = input.eventData === undefined || input.eventData === null ? {} : input.eventData;
  return {
    _id: id,
    event_type: input.eventType ?? EventType.UNKNOWN,
    log_level: input.logLevel ?? EventLogLevel.INFO,
    alert: input.alert ?? false,
    event_timestamp: input.eventTimestamp ?? receivedAt,
    received_at: receivedAt,
    source,
    event_data: eventData,
    trace_id: input.traceId ?? null,
    span_id: input.spanId ?? null,
    archived: false,
    archived_at: null,
    search_text: searchTextOf(eventData),
  };
}

/**
 * Reads a document written by anyone (this server, MADSci, an import) into a complete
 * {@link EventDocument}: missing fields get MADSci's defaults, string dates are parsed, unknown
 * types and levels fall back to `unknown` and the nearest defined level below.
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
