import crypto from 'node:crypto';
import { BadUserInputError } from '../core/errors';
import { EventLogLevel, EventType } from './event.enums';
import type { EventService } from './event.service';
import { SOURCE_FIELDS, type EventInput, type EventSourceInput } from './event.types';
import { isUlid } from './ulid';

/*
 * OpenTelemetry log records as events (docs/opentelemetry.md#send-opentelemetry-logs). The door
 * (src/app/otlp/) decodes OTLP/HTTP bodies, protobuf or JSON, into the plain shape below; this
 * module maps each record to an `EventInput` and logs them through the events service, so OTLP
 * logs get the same checks, limits, live delivery and alerts as `logEvents`.
 */

/** An attribute or body value, decoded to plain JSON (maps as objects, bytes as base64 text). */
export type OtlpValue = string | number | boolean | null | OtlpValue[] | { [key: string]: OtlpValue };

/** One LogRecord, decoded. Times are nanoseconds since the Unix epoch; 0 means unset. */
export interface OtlpLogRecord {
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number;
  severityText: string;
  /** Absent when the record has no body. */
  body?: OtlpValue;
  attributes: Record<string, OtlpValue>;
  /** Lower-case hex (32 and 16 digits), or null when unset (empty or all zeroes). */
  traceId: string | null;
  spanId: string | null;
  eventName: string;
}

/** One ExportLogsServiceRequest, decoded. */
export interface OtlpLogsRequest {
  resourceLogs: {
    resource: Record<string, OtlpValue>;
    scopeLogs: {
      scope: { name: string; version: string };
      logRecords: OtlpLogRecord[];
    }[];
  }[];
}

/** What the OTLP answer reports: records refused (not stored), with the first reasons. */
export interface OtlpLogsOutcome {
  acceptedCount: number;
  insertedCount: number;
  duplicateCount: number;
  rejectedCount: number;
  /** Empty when nothing was rejected. */
  errorMessage: string;
}

/** Source members by attribute name: `madsci.node_id` -> `nodeId`. */
const SOURCE_BY_ATTRIBUTE: ReadonlyMap<string, keyof EventSourceInput> = new Map(
  SOURCE_FIELDS.map(([name, key]) => [`madsci.${key}`, name]),
);
/** Attributes that name things MADSci's reports read from `event_data` (`madsci.node_name` -> `node_name`). */
const NAME_ATTRIBUTE = /^madsci\.([a-z_]+_name)$/;
/** Event types by value and by member name, any case: `workflow_start`, `WORKFLOW_START`. */
const EVENT_TYPES: ReadonlyMap<string, EventType> = new Map(
  Object.entries(EventType).flatMap(([member, value]) => [
    [member.toLowerCase(), value],
    [value, value],
  ]),
);
const LEVEL_TYPES: Readonly<Record<number, EventType>> = {
  [EventLogLevel.DEBUG]: EventType.LOG_DEBUG,
  [EventLogLevel.INFO]: EventType.LOG_INFO,
  [EventLogLevel.WARNING]: EventType.LOG_WARNING,
  [EventLogLevel.ERROR]: EventType.LOG_ERROR,
  [EventLogLevel.CRITICAL]: EventType.LOG_CRITICAL,
};
const LEVEL_BY_TEXT: Readonly<Record<string, EventLogLevel>> = {
  TRACE: EventLogLevel.DEBUG,
  DEBUG: EventLogLevel.DEBUG,
  INFO: EventLogLevel.INFO,
  WARN: EventLogLevel.WARNING,
  WARNING: EventLogLevel.WARNING,
  ERROR: EventLogLevel.ERROR,
  FATAL: EventLogLevel.CRITICAL,
  CRITICAL: EventLogLevel.CRITICAL,
};
/**
 * Timestamps accepted: years 2000 to 2199. Anything else is a unit mistake (seconds or
 * milliseconds sent as nanoseconds land in January 1970; 2^64 ns is the year 2554), and an event
 * there would sort before or after every real one forever.
 */
const MIN_NANOS = BigInt(Date.UTC(2000, 0, 1)) * 1_000_000n;
const MAX_NANOS = BigInt(Date.UTC(2200, 0, 1)) * 1_000_000n;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Thrown for a record that cannot become an event; the request answers it as rejected. */
class RecordRejected extends Error {}

/**
 * MADSci's level of an OTLP severity: 1-8 DEBUG, 9-12 INFO, 13-16 WARNING, 17-20 ERROR, 21-24
 * CRITICAL; unset (0) by the severity text, else INFO.
 */
export function levelOfSeverity(severityNumber: number, severityText: string): EventLogLevel {
  if (severityNumber === 0) return LEVEL_BY_TEXT[severityText.trim().toUpperCase()] ?? EventLogLevel.INFO;
  if (!Number.isInteger(severityNumber) || severityNumber < 0 || severityNumber > 24) {
    throw new RecordRejected(`severityNumber must be 0 to 24, got ${severityNumber}`);
  }
  if (severityNumber <= 8) return EventLogLevel.DEBUG;
  if (severityNumber <= 12) return EventLogLevel.INFO;
  if (severityNumber <= 16) return EventLogLevel.WARNING;
  if (severityNumber <= 20) return EventLogLevel.ERROR;
  return EventLogLevel.CRITICAL;
}

/** A ULID whose time is `ms` and whose 80 random bits are the first bytes of `hash`. */
function ulidFrom(ms: number, hash: Buffer): string {
  let time = '';
  let rest = ms;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[rest % 32]! + time;
    rest = Math.floor(rest / 32);
  }
  let bits = 0n;
  for (let i = 0; i < 10; i++) bits = (bits << 8n) | BigInt(hash[i]!);
  let random = '';
  for (let i = 0; i < 16; i++) {
    random = CROCKFORD[Number(bits & 31n)]! + random;
    bits >>= 5n;
  }
  return time + random;
}

/** A date of a nanosecond timestamp; null for 0 (unset). */
function dateOfNanos(nanos: bigint, field: string): Date | null {
  if (nanos === 0n) return null;
  if (nanos < MIN_NANOS || nanos >= MAX_NANOS) {
    throw new RecordRejected(`${field} ${nanos} is outside years 2000 to 2199 (nanoseconds since 1970 expected)`);
  }
  return new Date(Number(nanos / 1_000_000n));
}

/**
 * The event a record becomes (docs/opentelemetry.md#the-mapping). Its id is a ULID made from the
 * record's own time and a hash of the record with its resource and scope, so a retried export
 * yields the same ids and stores nothing twice.
 * @throws RecordRejected when the record cannot be stored.
 */
export function eventOfLogRecord(
  record: OtlpLogRecord,
  resource: Record<string, OtlpValue>,
  scope: { name: string; version: string },
): EventInput {
  const level = levelOfSeverity(record.severityNumber, record.severityText);
  const time = dateOfNanos(record.timeUnixNano, 'timeUnixNano');
  const observed = dateOfNanos(record.observedTimeUnixNano, 'observedTimeUnixNano');
  const source: EventSourceInput = {};
  const eventData: Record<string, OtlpValue> = {};
  const resourceRest: Record<string, OtlpValue> = {};
  let eventType: EventType | undefined;
  let alert = false;
  // Resource attributes first, so a record's own attributes win.
  for (const [attributes, fromResource] of [
    [resource, true],
    [record.attributes, false],
  ] as const) {
    for (const [key, value] of Object.entries(attributes)) {
      const member = SOURCE_BY_ATTRIBUTE.get(key);
      const name = NAME_ATTRIBUTE.exec(key)?.[1];
      if (member) {
        if (typeof value !== 'string' || !isUlid(value)) {
          throw new RecordRejected(`${key} must be a ULID, got ${JSON.stringify(value).slice(0, 40)}`);
        }
        source[member] = value;
      } else if (name) {
        eventData[name] = value;
      } else if (key === 'service.name') {
        eventData.service_name = value;
      } else if (key === 'madsci.event_type') {
        eventType = typeof value === 'string' ? EVENT_TYPES.get(value.toLowerCase()) : undefined;
        if (!eventType)
          throw new RecordRejected(`madsci.event_type ${JSON.stringify(value)} is not a MADSci event type`);
      } else if (key === 'madsci.alert') {
        alert = value === true || value === 'true';
      } else if (fromResource) {
        resourceRest[key] = value;
      } else if (key === 'event.name' && typeof value === 'string') {
        eventType ??= EVENT_TYPES.get(value.toLowerCase());
        eventData.event_name = value;
      } else {
        eventData[key] = value;
      }
    }
  }
  if (record.eventName !== '') {
    eventType ??= EVENT_TYPES.get(record.eventName.toLowerCase());
    eventData.event_name = record.eventName;
  }
  if (typeof record.body === 'string') eventData.message = record.body;
  else if (record.body !== undefined) eventData.body = record.body;
  const otel: Record<string, OtlpValue> = {
    severity_number: record.severityNumber,
    severity_text: record.severityText,
  };
  if (scope.name !== '') otel.scope = scope.version !== '' ? { name: scope.name, version: scope.version } : scope.name;
  if (observed && time && observed.getTime() !== time.getTime()) otel.observed_timestamp = observed.toISOString();
  if (Object.keys(resourceRest).length > 0) otel.resource = resourceRest;
  eventData.otel = otel;

  const digest = crypto
    .createHash('sha256')
    .update(
      JSON.stringify([
        resource,
        scope,
        String(record.timeUnixNano),
        String(record.observedTimeUnixNano),
        record.severityNumber,
        record.severityText,
        record.body ?? null,
        record.attributes,
        record.traceId,
        record.spanId,
        record.eventName,
      ]),
    )
    .digest();
  const own = time ?? observed;
  return {
    id: ulidFrom(own?.getTime() ?? 0, digest),
    eventType: eventType ?? LEVEL_TYPES[level]!,
    logLevel: level,
    alert,
    eventTimestamp: own,
    source,
    eventData,
    traceId: record.traceId,
    spanId: record.spanId,
  };
}

/**
 * Logs the records of an export request as events. Records that cannot become events are
 * rejected (counted, first reasons in `errorMessage`) and the others stored; when every record is
 * rejected, nothing is stored and a BadUserInputError says why (OTLP answers it with 400).
 * @throws BadUserInputError for more records than a `logEvents` batch may hold, or all rejected.
 */
export async function logOtlpRecords(
  events: EventService,
  request: OtlpLogsRequest,
  maxBatchSize: number,
): Promise<OtlpLogsOutcome> {
  let total = 0;
  for (const resourceLogs of request.resourceLogs) {
    for (const scopeLogs of resourceLogs.scopeLogs) total += scopeLogs.logRecords.length;
  }
  if (total > maxBatchSize) {
    throw new BadUserInputError(`A request may hold at most ${maxBatchSize} log records, got ${total}`, 'logRecords');
  }
  const inputs: EventInput[] = [];
  const reasons: string[] = [];
  let index = 0;
  for (const { resource, scopeLogs } of request.resourceLogs) {
    for (const { scope, logRecords } of scopeLogs) {
      for (const record of logRecords) {
        try {
          inputs.push(eventOfLogRecord(record, resource, scope));
        } catch (error) {
          if (!(error instanceof RecordRejected)) throw error;
          if (reasons.length < 5) reasons.push(`log record ${index}: ${error.message}`);
        }
        index++;
      }
    }
  }
  const rejectedCount = total - inputs.length;
  const errorMessage = reasons.join('; ') + (rejectedCount > reasons.length ? '; ...' : '');
  if (total > 0 && inputs.length === 0)
    throw new BadUserInputError(`Every log record was rejected: ${errorMessage}`, 'logRecords');
  const outcome =
    inputs.length > 0 ? await events.logEvents(inputs, 'logRecords') : { insertedCount: 0, duplicateCount: 0 };
  return {
    acceptedCount: inputs.length,
    insertedCount: outcome.insertedCount,
    duplicateCount: outcome.duplicateCount,
    rejectedCount,
    errorMessage,
  };
}
