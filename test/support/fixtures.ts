import { monotonicFactory } from 'ulid';
import { searchTextOf, type EventDocument, type EventSourceDocument } from '../../src/store/event-document';

const nextId = monotonicFactory();

/** Deterministic pseudo-random numbers (mulberry32), so fixtures are the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fixed ULIDs for sources. */
export const NODES = ['01JGZ8Q5T30000000000000N01', '01JGZ8Q5T30000000000000N02', '01JGZ8Q5T30000000000000N03'];
export const WORKCELL = '01JGZ8Q5T3000000000000WC01';
export const USER = '01JGZ8Q5T3000000000000XSR1';

export const BASE_TIME = Date.UTC(2025, 0, 6, 8, 0, 0);
const TYPES = ['log_info', 'node_start', 'node_error', 'workflow_complete', 'experiment_start'];
const LEVELS = [0, 10, 20, 30, 40, 50];

/** A complete stored document with the given overrides. */
export function makeDoc(overrides: Partial<EventDocument> = {}): EventDocument {
  const eventData = overrides.event_data ?? { message: 'hello' };
  const at = overrides.event_timestamp ?? new Date(BASE_TIME);
  return {
    _id: nextId(),
    event_type: 'log_info',
    log_level: 20,
    alert: false,
    event_timestamp: at,
    received_at: at,
    source: {},
    trace_id: null,
    span_id: null,
    archived: false,
    archived_at: null,
    ...overrides,
    event_data: eventData,
    search_text: searchTextOf(eventData),
  };
}

/**
 * A varied data set: every level and several types, sources present and absent, archived
 * events, equal timestamps (ties broken by id), object, string and array payloads.
 */
export function variedDocs(count: number, seed = 7): EventDocument[] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const docs: EventDocument[] = [];
  for (let i = 0; i < count; i++) {
    const source: EventSourceDocument = {};
    if (random() < 0.7) source.node_id = pick(NODES);
    if (random() < 0.3) source.workcell_id = WORKCELL;
    if (random() < 0.2) source.user_id = USER;
    const archived = random() < 0.2;
    const kind = random();
    const eventData =
      kind < 0.1
        ? `plain string number ${i}`
        : kind < 0.2
          ? { tags: random() < 0.5 ? ['a', 'b'] : ['a'], items: [{ k: i % 3 }, { k: 9 }] }
          : { message: `${pick(['Start', 'stop', 'Robot arm moved', 'ERROR in pump'])} #${i}`, n: i % 10 };
    // Timestamps repeat every 7 events so ordering must fall back to ids.
    const at = new Date(BASE_TIME + Math.floor(i / 7) * 60_000);
    docs.push(
      makeDoc({
        event_type: pick(TYPES),
        log_level: pick(LEVELS),
        alert: random() < 0.1,
        event_timestamp: at,
        received_at: new Date(BASE_TIME + 3_600_000 + (count - i) * 1000),
        source,
        event_data: eventData,
        trace_id: random() < 0.5 ? `trace${i % 4}` : null,
        archived,
        archived_at: archived ? new Date(BASE_TIME + i * 1000) : null,
      }),
    );
  }
  return docs;
}
