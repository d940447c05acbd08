import type { Response } from 'express';
import { EventLogLevel, EVENT_TYPE_VALUES, type EventType } from '../../events/event.enums';
import { SOURCE_FIELDS, type EventInput, type EventSourceInput } from '../../events/event.types';
import { parseBooleanWord, PYDANTIC_BOOLEANS } from '../../core/booleans';
import { parseIsoInstant } from '../../core/time';
import { madsciEventFields, type MadsciEventFields } from '../../events/madsci-event';
import type { EventDocument } from '../../store/event-document';
import { issue, IssueCollector, RequestValidationError } from './rest.errors';

/**
 * MADSci's JSON dialect of an event (docs/madsci-compatibility.md#d18-events-on-the-wire): snake_case keys, `_id` on output,
 * naive timestamps. Parsing is what pydantic does with MADSci's `Event` model; the rules of what
 * an event may be (ULID sources, defaults, id length) stay in the event service.
 */

/** An event as MADSci's REST routes send it, keys in MADSci's order. */
export interface MadsciEvent extends MadsciEventFields {
  _id: string;
}

/**
 * An instant as MADSci prints the naive UTC datetimes it reads back from MongoDB:
 * `YYYY-MM-DDTHH:MM:SS`, then `.ffffff` only when the fraction is not zero, no offset. Python's
 * `datetime.fromisoformat` and pydantic read it back as the naive UTC value the client sent.
 */
export function formatMadsciTimestamp(date: Date): string {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ (years 0..9999)
  const ms = date.getUTCMilliseconds();
  return ms === 0 ? iso.slice(0, 19) : `${iso.slice(0, 23)}000`;
}

/** The wire shape of a stored event; null source members are left out, as MADSci does. */
export function toMadsciEvent(doc: EventDocument): MadsciEvent {
  return { _id: doc._id, ...madsciEventFields(doc, formatMadsciTimestamp) };
}

/**
 * MADSci's list response: a JSON object from id to event, in result order. Written by hand because
 * a JavaScript object would move integer-like keys (an imported id such as `"42"`) to the front.
 */
export function eventMapJson(docs: readonly EventDocument[]): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const doc of docs) {
    if (seen.has(doc._id)) continue;
    seen.add(doc._id);
    parts.push(`${JSON.stringify(doc._id)}:${JSON.stringify(toMadsciEvent(doc))}`);
  }
  return `{${parts.join(',')}}`;
}

/** Sends MADSci's id → event map. */
export function sendEventMap(res: Response, docs: readonly EventDocument[]): void {
  res.type('application/json').send(eventMapJson(docs));
}

const LEVEL_NAMES = new Map<string, number>(
  Object.entries(EventLogLevel)
    .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
    .map(([name, value]) => [name.toLowerCase(), value]),
);
const LEVEL_VALUES = new Set(LEVEL_NAMES.values());
const LEVEL_EXPECTED = '0, 10, 20, 30, 40 or 50';

/**
 * A log level as MADSci accepts it: one of the six numbers (also `"20"` or `20.0`), a member name
 * in any case (`"info"`), or `"EventLogLevel.INFO"`. With `anyNumber`, any integer is allowed (the
 * `level` threshold of `GET /events`). Returns `undefined` when the value is none of these.
 */
export function parseLevel(value: unknown, anyNumber = false): number | undefined {
  let number: number | undefined;
  if (typeof value === 'number') number = value;
  else if (typeof value === 'string') {
    const text = value.trim();
    if (/^[+-]?\d+(\.0*)?$/.test(text)) number = Number(text);
    else return LEVEL_NAMES.get(text.toLowerCase().replace(/^eventloglevel\./, ''));
  }
  if (number === undefined || !Number.isInteger(number)) return undefined;
  return anyNumber || LEVEL_VALUES.has(number) ? number : undefined;
}

/** An event type by value or member name, any case (`"NODE_START"`, `"node_start"`, `"EventType.NODE_START"`). */
export function parseEventType(value: unknown): EventType | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value
    .trim()
    .toLowerCase()
    .replace(/^eventtype\./, '');
  return EVENT_TYPE_VALUES.has(text) ? (text as EventType) : undefined;
}

/** A boolean as pydantic's lax mode reads it: booleans, 0/1, and the usual words in any case. */
export function parseBool(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 1) return value === 1;
  return typeof value === 'string' ? parseBooleanWord(value.trim(), PYDANTIC_BOOLEANS) : undefined;
}

/**
 * A date-time as pydantic reads one: ISO-8601 (`T` or a space between date and time; no offset
 * means UTC), a date alone (midnight UTC), or Unix time as a number or numeric string (seconds, or
 * milliseconds when larger than 2e10).
 */
export function parseDateTime(value: unknown): Date | undefined {
  let epoch: number | undefined;
  if (typeof value === 'number') epoch = value;
  else if (typeof value === 'string') {
    const text = value.trim();
    if (/^[+-]?\d+(\.\d+)?$/.test(text)) epoch = Number(text);
    else {
      const date = parseIsoInstant(text.replace(/^(\d{4}-\d\d-\d\d) (?=\d)/, '$1T'));
      return date ?? undefined;
    }
  }
  if (epoch === undefined || !Number.isFinite(epoch)) return undefined;
  const date = new Date(Math.abs(epoch) > 2e10 ? epoch : epoch * 1000);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const EVENT_TYPE_EXPECTED = [...EVENT_TYPE_VALUES].map((value) => `'${value}'`).join(', ');

/**
 * A request body as the JSON object a pydantic model reads.
 * @throws RequestValidationError as FastAPI answers: `missing` without a body, `model_attributes_type` for a non-object.
 */
export function objectBody(body: unknown): Record<string, unknown> {
  if (body === undefined) throw new RequestValidationError([issue('missing', ['body'], 'Field required', null)]);
  if (!isObject(body)) {
    throw new RequestValidationError([
      issue(
        'model_attributes_type',
        ['body'],
        'Input should be a valid dictionary or object to extract fields from',
        body,
      ),
    ]);
  }
  return body;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Reads the body of `POST /event` into the event service's input. Accepts `_id` or `event_id`,
 * event types in any case, levels by name or number, naive timestamps (UTC), null source members
 * and null optional fields; unknown keys are dropped, as MADSci's model drops them.
 * `archived`/`archived_at` are type-checked and otherwise ignored: archiving goes through the
 * archive routes (or `lab-events import`).
 * @throws RequestValidationError listing every problem, with pydantic's types and `loc`s.
 */
export function parseMadsciEvent(body: unknown): EventInput {
  const issues = new IssueCollector();
  const event = objectBody(body);
  const input: EventInput = {};

  // pydantic's AliasChoices('_id', 'event_id'): the first present one wins; numbers become strings.
  const idKey = '_id' in event ? '_id' : 'event_id';
  const id = event[idKey];
  if (typeof id === 'string') input.id = id;
  else if (typeof id === 'number' && Number.isFinite(id)) input.id = String(id);
  else if (id !== undefined && id !== null)
    issues.add(issue('string_type', ['body', idKey], 'Input should be a valid string', id));

  if (event.event_type !== undefined) {
    const type = parseEventType(event.event_type);
    if (type) input.eventType = type;
    else
      issues.add(
        issue('enum', ['body', 'event_type'], `Input should be ${EVENT_TYPE_EXPECTED}`, event.event_type, {
          expected: EVENT_TYPE_EXPECTED,
        }),
      );
  }

  if (event.log_level !== undefined) {
    const level = parseLevel(event.log_level);
    if (level !== undefined) input.logLevel = level as EventLogLevel;
    else
      issues.add(
        issue('enum', ['body', 'log_level'], `Input should be ${LEVEL_EXPECTED}`, event.log_level, {
          expected: LEVEL_EXPECTED,
        }),
      );
  }

  if (event.alert !== undefined) {
    const alert = parseBool(event.alert);
    if (alert !== undefined) input.alert = alert;
    else
      issues.add(
        issue(
          'bool_parsing',
          ['body', 'alert'],
          'Input should be a valid boolean, unable to interpret input',
          event.alert,
        ),
      );
  }

  if (event.event_timestamp !== undefined) {
    const at = parseDateTime(event.event_timestamp);
    if (at) input.eventTimestamp = at;
    else
      issues.add(
        issue(
          'datetime_parsing',
          ['body', 'event_timestamp'],
          'Input should be a valid datetime',
          event.event_timestamp,
        ),
      );
  }

  if (event.source !== undefined && event.source !== null) {
    if (!isObject(event.source)) {
      issues.add(
        issue(
          'model_type',
          ['body', 'source'],
          'Input should be a valid dictionary or instance of OwnershipInfo',
          event.source,
        ),
      );
    } else {
      const source: EventSourceInput = {};
      for (const [name, key] of SOURCE_FIELDS) {
        const value = event.source[key];
        if (value === undefined || value === null) continue;
        if (typeof value === 'string') source[name] = value;
        else issues.add(issue('string_type', ['body', 'source', key], 'Input should be a valid string', value));
      }
      input.source = source;
    }
  }

  if ('event_data' in event) input.eventData = event.event_data;

  for (const [key, field] of [
    ['trace_id', 'traceId'],
    ['span_id', 'spanId'],
  ] as const) {
    const value = event[key];
    if (value === undefined || value === null) continue;
    if (typeof value === 'string') input[field] = value;
    else issues.add(issue('string_type', ['body', key], 'Input should be a valid string', value));
  }

  if (event.archived !== undefined && parseBool(event.archived) === undefined) {
    issues.add(
      issue(
        'bool_parsing',
        ['body', 'archived'],
        'Input should be a valid boolean, unable to interpret input',
        event.archived,
      ),
    );
  }
  if (event.archived_at !== undefined && event.archived_at !== null && !parseDateTime(event.archived_at)) {
    issues.add(
      issue('datetime_parsing', ['body', 'archived_at'], 'Input should be a valid datetime', event.archived_at),
    );
  }

  issues.throwIfAny();
  return input;
}

/** Service field paths (`event.source.nodeId`) in the wire's terms (`["body", "source", "node_id"]`). */
export function locOfField(field: string | undefined, root: (string | number)[] = ['body']): (string | number)[] {
  if (!field) return root;
  // `event.source.nodeId` names a member of the event body; a bare `batchSize` a body field.
  const segments = field.includes('.') ? field.split('.').slice(1) : [field];
  return [...root, ...segments.map((segment) => (segment === 'id' ? 'event_id' : snakeCase(segment)))];
}

/** An API name as MADSci spells it: `nodeId` -> `node_id`, `source.nodeId` -> `source.node_id`. */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
