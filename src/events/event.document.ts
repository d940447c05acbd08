import { randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulid';
import { BadUserInputError } from '../core/errors';
import { searchTextOf, type EventDocument, type EventSourceDocument } from '../store/event-document';
import { EventLogLevel, EventType } from './event.enums';
import { SOURCE_FIELDS, type EventInput } from './event.types';
import { normalizeUlid } from './ulid';

const MAX_ID_LENGTH = 128;
const MAX_TRACE_LENGTH = 128;
/**
 * The ULID library's random source, with the same crypto-strong bytes drawn 4 KiB at a time rather
 * than one `getRandomValues` call per character (16 per id: a visible cost per `POST /event`).
 * Each byte / 256 is uniform over the 32 ULID characters (256 is a multiple of 32).
 */
const randomPool = new Uint8Array(4096);
let poolAt = randomPool.length;
function pooledRandom(): number {
  if (poolAt === randomPool.length) {
    randomFillSync(randomPool);
    poolAt = 0;
  }
  return randomPool[poolAt++]! / 256;
}

// Monotonic within a millisecond, so the ids of one batch sort in the order they were sent.
const nextUlid = monotonicFactory(pooledRandom);

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
    if (!normalized)
      throw new BadUserInputError(
        `source.${name} must be a ULID, got ${JSON.stringify(value.slice(0, 40))}`,
        `${path}.source.${name}`,
      );
    source[key] = normalized;
  }
  for (const [name, value] of [
    ['traceId', input.traceId],
    ['spanId', input.spanId],
  ] as const) {
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
