/**
 * The events the benchmarks write and read: a deterministic, lab-like mix of types, levels,
 * sources and payloads, as service inputs, as GraphQL variables and as stored documents.
 */
import 'reflect-metadata';
import { monotonicFactory } from 'ulid';
import { buildEventDocument } from '../../src/events/event.document';
import { EventLogLevel, EventType } from '../../src/events/event.enums';
import type { EventInput } from '../../src/events/event.types';
import type { EventDocument } from '../../src/store/event-document';
import type { EventStore } from '../../src/store/event-store';
import { seededRandom } from '../../test/support/fixtures';

/** Bump when the generated data changes, so cached databases are rebuilt. */
export const WORKLOAD_VERSION = 1;

/** 20 instrument nodes, 4 workcells (5 nodes each). */
export const NODE_IDS: readonly string[] = Array.from(
  { length: 20 },
  (_, i) => `01JGZ8Q5T30000000000000N${String(i + 1).padStart(2, '0')}`,
);
export const WORKCELL_IDS: readonly string[] = Array.from(
  { length: 4 },
  (_, i) => `01JGZ8Q5T3000000000000WC${String(i + 1).padStart(2, '0')}`,
);

/** First instant of the year the generated events span. */
export const YEAR_START = Date.UTC(2025, 0, 1);
export const YEAR_MS = 365 * 24 * 3600 * 1000;

/** Relative frequency of each type: routine logs and actions dominate, failures are rare. */
const TYPE_WEIGHTS: readonly [EventType, number][] = [
  [EventType.LOG_INFO, 20],
  [EventType.LOG_DEBUG, 14],
  [EventType.LOG_WARNING, 4],
  [EventType.LOG_ERROR, 1.2],
  [EventType.LOG_CRITICAL, 0.2],
  [EventType.NODE_STATUS_UPDATE, 12],
  [EventType.ACTION_START, 8],
  [EventType.ACTION_COMPLETE, 7.5],
  [EventType.ACTION_FAILED, 0.5],
  [EventType.ACTION_STATUS_CHANGE, 3],
  [EventType.WORKFLOW_STEP_START, 5],
  [EventType.WORKFLOW_STEP_COMPLETE, 4.8],
  [EventType.WORKFLOW_STEP_FAILED, 0.2],
  [EventType.WORKFLOW_START, 1],
  [EventType.WORKFLOW_COMPLETE, 0.9],
  [EventType.WORKFLOW_ABORT, 0.1],
  [EventType.EXPERIMENT_START, 0.2],
  [EventType.EXPERIMENT_COMPLETE, 0.18],
  [EventType.EXPERIMENT_FAILED, 0.02],
  [EventType.NODE_ERROR, 0.4],
  [EventType.MANAGER_HEALTH_CHECK, 5],
  [EventType.DATA_STORE, 3],
  [EventType.RESOURCE_UPDATE, 3],
  [EventType.LOCATION_UPDATE, 2],
  // Everything else happens now and then.
  ...Object.values(EventType)
    .filter((type) => !['log', 'unknown', 'test'].includes(type))
    .map((type): [EventType, number] => [type, 0.05]),
];

/** Types whose events are failures, the "what went wrong" filter of a dashboard. */
export const FAILURE_TYPES: readonly EventType[] = [
  EventType.NODE_ERROR,
  EventType.ACTION_FAILED,
  EventType.WORKFLOW_STEP_FAILED,
  EventType.EXPERIMENT_FAILED,
];

const TOTAL_WEIGHT = TYPE_WEIGHTS.reduce((sum, [, w]) => sum + w, 0);

/** The level a type's events are usually logged at. */
function levelOf(type: EventType, random: () => number): EventLogLevel {
  switch (type) {
    case EventType.LOG_DEBUG:
      return EventLogLevel.DEBUG;
    case EventType.LOG_INFO:
      return EventLogLevel.INFO;
    case EventType.LOG_WARNING:
      return EventLogLevel.WARNING;
    case EventType.LOG_ERROR:
      return EventLogLevel.ERROR;
    case EventType.LOG_CRITICAL:
      return EventLogLevel.CRITICAL;
    default:
      if (type.endsWith('_failed') || type.endsWith('_error') || type.endsWith('_abort'))
        return random() < 0.1 ? EventLogLevel.CRITICAL : EventLogLevel.ERROR;
      {
        const r = random();
        return r < 0.25 ? EventLogLevel.DEBUG : r < 0.93 ? EventLogLevel.INFO : EventLogLevel.WARNING;
      }
  }
}

const VERBS = [
  'Moved',
  'Dispensed',
  'Aspirated',
  'Heated',
  'Read plate',
  'Scanned barcode',
  'Opened lid',
  'Closed lid',
  'Homed axis',
];
const OBJECTS = ['plate', 'tip rack', 'reservoir', 'sample tube', 'gripper', 'thermocycler', 'sealer'];

/**
 * Deterministic event inputs (what a client sends; service-level values: enum values, Dates),
 * with ids that are ULIDs of their timestamps. Events are spread evenly over `spanMs` from
 * `startMs`, with up to a minute of jitter.
 */
export class EventGenerator {
  private readonly random: () => number;
  private readonly nextId: (time: number) => string;
  private workflowSerial = 0;

  constructor(
    private readonly total: number,
    seed = 42,
    private readonly startMs = YEAR_START,
    private readonly spanMs = YEAR_MS,
  ) {
    this.random = seededRandom(seed);
    const idRandom = seededRandom(seed ^ 0x5bd1e995);
    const factory = monotonicFactory(idRandom);
    this.nextId = (time) => factory(time);
  }

  /** The `i`-th event (call with increasing `i`). */
  input(i: number): EventInput & { eventTimestamp: Date; id: string } {
    const random = this.random;
    let pick = random() * TOTAL_WEIGHT;
    let type = TYPE_WEIGHTS[0]![0];
    for (const [candidate, weight] of TYPE_WEIGHTS) {
      pick -= weight;
      if (pick <= 0) {
        type = candidate;
        break;
      }
    }
    const level = levelOf(type, random);
    const ts = Math.floor(this.startMs + (i / this.total) * this.spanMs + (random() - 0.5) * 60_000);
    const node = Math.floor(random() * NODE_IDS.length);
    const inWorkflow = random() < 0.6;
    if (inWorkflow && random() < 0.01) this.workflowSerial++;
    const eventData: Record<string, unknown> = {
      message: `${VERBS[Math.floor(random() * VERBS.length)]} ${OBJECTS[Math.floor(random() * OBJECTS.length)]} (step ${i % 50})`,
      duration_ms: Math.round(random() * 5000),
    };
    if (random() < 0.2)
      eventData.details = {
        position: [Math.round(random() * 100), Math.round(random() * 100)],
        ok: level < EventLogLevel.ERROR,
      };
    return {
      id: this.nextId(ts),
      eventType: type,
      logLevel: level,
      alert: level >= EventLogLevel.CRITICAL || random() < 0.002,
      eventTimestamp: new Date(ts),
      source: {
        nodeId: NODE_IDS[node]!,
        workcellId: WORKCELL_IDS[Math.floor(node / 5)]!,
        ...(inWorkflow ? { workflowId: ulidLike('WF', this.workflowSerial) } : {}),
      },
      eventData,
      traceId: random() < 0.3 ? `trace-${Math.floor(i / 20)}` : null,
    };
  }

  /** Inputs `from` (inclusive) to `to` (exclusive). */
  inputs(from: number, to: number): (EventInput & { eventTimestamp: Date; id: string })[] {
    const out = [];
    for (let i = from; i < to; i++) out.push(this.input(i));
    return out;
  }
}

/** A valid ULID made of a two-letter tag and a serial number. */
function ulidLike(tag: string, serial: number): string {
  return `01JGZ8Q5T3${tag}${String(serial).padStart(14, '0')}`;
}

const TYPE_NAMES = new Map(Object.entries(EventType).map(([name, value]) => [value as string, name]));

/** The GraphQL variables form of an input (enum names, ISO dates), as a client would send it. */
export function toGraphQLInput(input: EventInput): Record<string, unknown> {
  return {
    id: input.id,
    eventType: TYPE_NAMES.get(input.eventType!),
    logLevel: EventLogLevel[input.logLevel!],
    alert: input.alert,
    eventTimestamp: input.eventTimestamp?.toISOString(),
    source: input.source,
    eventData: input.eventData,
    traceId: input.traceId,
  };
}

/** The stored document of an input, exactly as the service builds it. */
export function toDocument(input: EventInput, receivedAt: Date): EventDocument {
  return buildEventDocument(input, receivedAt, 'event');
}

/**
 * Stores `count` generated events (seed `seed`) in chunks of 5 000, each received 150 ms after its
 * event time; returns their ids in generation order.
 */
export async function seedGenerated(store: EventStore, count: number, seed: number): Promise<string[]> {
  const generator = new EventGenerator(count, seed);
  const ids: string[] = [];
  for (let from = 0; from < count; from += 5000) {
    const docs = generator
      .inputs(from, Math.min(count, from + 5000))
      .map((input) => toDocument(input, new Date(input.eventTimestamp.getTime() + 150)));
    await store.insertMany(docs);
    ids.push(...docs.map((doc) => doc._id));
  }
  return ids;
}
