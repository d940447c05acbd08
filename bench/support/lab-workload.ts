/**
 * A simulated self-driving lab for the report benchmarks: workcells that start and stop (most
 * every working day, one running whole weeks, one that sometimes restarts without a stop), nodes
 * that start with their workcell and run actions, experiments that run workflows, workflows with
 * authors, and the chatter around them (status updates, health checks, logs). Domain events come
 * both as top-level types and the way MADSci's structured logger sends them (`log_info` with
 * `event_data.event_type`), so the reports' effective-type reading (docs/madsci-compatibility.md#d1-effective-event-type) is exercised.
 * Deterministic for a seed; events come out one day at a time, in time order.
 */
import 'reflect-metadata';
import { monotonicFactory } from 'ulid';
import { buildEventDocument } from '../../src/events/event.document';
import { EventLogLevel, EventType } from '../../src/events/event.enums';
import type { EventInput } from '../../src/events/event.types';
import type { EventDocument } from '../../src/store/event-document';
import { seededRandom } from '../../test/support/fixtures';

/** Bump when the generated data changes, so cached databases are rebuilt. */
export const LAB_WORKLOAD_VERSION = 1;

const HOUR = 3_600_000;
const MINUTE = 60_000;

/** A valid ULID made of a two-letter tag and a serial number. */
const ulidLike = (tag: string, serial: number) => `01JGZ8Q5T3${tag}${String(serial).padStart(14, '0')}`;

export const LAB_WORKCELLS: readonly string[] = Array.from({ length: 4 }, (_, i) => ulidLike('WC', i + 1));
export const LAB_NODES: readonly string[][] = LAB_WORKCELLS.map((_, w) =>
  Array.from({ length: 5 }, (_, n) => ulidLike('ND', w * 10 + n + 1)),
);
const NODE_NAMES = ['robot_arm', 'liquid_handler', 'plate_reader', 'thermocycler', 'sealer'];
const AUTHORS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', ''];
const USERS: readonly string[] = AUTHORS.map((_, i) => ulidLike('PE', i + 1));
const WORKFLOW_NAMES = ['transfer', 'pcr_setup', 'plate_read', 'incubate', 'wash', 'seal_and_store'];

interface Draft {
  at: number;
  input: EventInput;
}

/** Parameters of a generated lab. */
export interface LabOptions {
  /** Events in total (the chatter fills each day up to its share). */
  total: number;
  /** First day (UTC midnight, epoch ms). Default 2025-01-01. */
  start?: number;
  days?: number;
  seed?: number;
}

/**
 * Generates the lab's events day by day. `days()` yields each day's documents in time order;
 * together they hold `total` events (a little more when a day's domain events exceed its share).
 */
export class LabGenerator {
  readonly start: number;
  readonly daysCount: number;
  private readonly random: () => number;
  private readonly nextId: (time: number) => string;
  private experimentSerial = 0;
  private workflowSerial = 0;
  private actionSerial = 0;
  /** Workcell 3 runs whole weeks: the open session's start day, per workcell. */
  private readonly openSince = new Map<number, number>();

  constructor(private readonly options: LabOptions) {
    this.start = options.start ?? Date.UTC(2025, 0, 1);
    this.daysCount = options.days ?? 365;
    this.random = seededRandom(options.seed ?? 2025);
    const ids = monotonicFactory(seededRandom((options.seed ?? 2025) ^ 0x2545f491));
    this.nextId = (time) => ids(time);
  }

  /** Each day's documents, time-ordered. */
  *days(): Generator<EventDocument[]> {
    for (let day = 0; day < this.daysCount; day++) {
      const drafts = this.domainEvents(day);
      const share =
        Math.floor(((day + 1) * this.options.total) / this.daysCount) -
        Math.floor((day * this.options.total) / this.daysCount);
      for (let i = drafts.length; i < share; i++) drafts.push(this.chatter(day));
      drafts.sort((a, b) => a.at - b.at);
      yield drafts.map((d) => {
        const doc = buildEventDocument(
          { ...d.input, id: this.nextId(d.at), eventTimestamp: new Date(d.at) },
          new Date(d.at + 200),
          'event',
        );
        return doc;
      });
    }
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  private between(from: number, to: number): number {
    return Math.floor(from + this.random() * (to - from));
  }

  /** A domain event, top-level or through the structured logger (about a third). */
  private domain(
    at: number,
    type: EventType,
    source: EventInput['source'],
    data: Record<string, unknown>,
    viaLogger = this.random() < 0.35,
  ): Draft {
    if (viaLogger)
      return {
        at,
        input: {
          eventType: EventType.LOG_INFO,
          logLevel: EventLogLevel.INFO,
          source,
          eventData: { message: `${type} event`, event_type: type, ...data },
        },
      };
    return { at, input: { eventType: type, logLevel: EventLogLevel.INFO, source, eventData: data } };
  }

  private domainEvents(day: number): Draft[] {
    const out: Draft[] = [];
    const dayStart = this.start + day * 24 * HOUR;
    const weekday = new Date(dayStart).getUTCDay(); // 0 Sunday
    const working = weekday >= 1 && weekday <= 5;
    LAB_WORKCELLS.forEach((workcell, w) => {
      const nodes = LAB_NODES[w]!;
      let sessionStart: number | null = null;
      let sessionEnd: number;
      if (w === 2) {
        // Runs Monday to Friday evening without stopping in between.
        if (!working) return;
        sessionEnd = weekday === 5 ? dayStart + 18 * HOUR + this.between(0, HOUR) : dayStart + 24 * HOUR;
        if (weekday === 1 || !this.openSince.has(w)) {
          sessionStart = dayStart + 6 * HOUR + this.between(0, 30 * MINUTE);
          this.openSince.set(w, sessionStart);
        }
      } else {
        if (!working && !(w === 0 && weekday === 6)) return;
        sessionStart = dayStart + 7 * HOUR + this.between(0, 45 * MINUTE);
        sessionEnd = dayStart + 18 * HOUR + this.between(0, 90 * MINUTE);
      }
      const active = sessionStart ?? dayStart;
      if (sessionStart !== null) {
        out.push(
          this.domain(
            sessionStart,
            EventType.WORKCELL_START,
            { workcellId: workcell, managerId: workcell },
            { workcell_name: `Workcell ${w + 1}`, name: `Bay ${w + 1}` },
            false,
          ),
        );
        nodes.forEach((node, n) =>
          out.push(
            this.domain(
              sessionStart! + (n + 1) * MINUTE,
              EventType.NODE_START,
              { nodeId: node, workcellId: workcell },
              { node_name: NODE_NAMES[n] },
            ),
          ),
        );
      }
      // Experiments run back to back, each a few workflows of action steps on the nodes.
      let t = active + 15 * MINUTE;
      while (t < sessionEnd - 2 * HOUR) {
        const experiment = ulidLike('EX', ++this.experimentSerial);
        out.push(
          this.domain(
            t,
            EventType.EXPERIMENT_START,
            { experimentId: experiment, workcellId: workcell },
            {
              experiment_name: `Run ${this.experimentSerial}`,
              experiment: { experiment_design: { experiment_name: `Design ${this.experimentSerial % 17}` } },
            },
          ),
        );
        const workflows = 2 + Math.floor(this.random() * 4);
        for (let k = 0; k < workflows && t < sessionEnd - HOUR; k++) {
          const workflow = ulidLike('WF', ++this.workflowSerial);
          const author = this.pick(AUTHORS);
          const user = USERS[AUTHORS.indexOf(author)]!;
          const started = t + this.between(MINUTE, 5 * MINUTE);
          const name = this.pick(WORKFLOW_NAMES);
          out.push(
            this.domain(
              started,
              EventType.WORKFLOW_START,
              { workflowId: workflow, experimentId: experiment, workcellId: workcell, userId: user },
              { workflow_id: workflow, name, author },
              true,
            ),
          );
          let s = started;
          const steps = 3 + Math.floor(this.random() * 5);
          for (let step = 0; step < steps; step++) {
            const node = this.pick(nodes);
            const action = `action-${++this.actionSerial}`;
            const begin = s + this.between(10_000, 60_000);
            const end = begin + this.between(2 * MINUTE, 8 * MINUTE);
            const failed = this.random() < 0.02;
            const source = { nodeId: node, workflowId: workflow, workcellId: workcell };
            out.push(this.domain(begin - 1000, EventType.WORKFLOW_STEP_START, source, { step, workflow_id: workflow }));
            out.push(
              this.domain(begin, EventType.ACTION_STATUS_CHANGE, source, { action_id: action, status: 'running' }),
            );
            out.push(this.domain(begin + 500, EventType.ACTION_START, source, { action_id: action }));
            out.push(
              this.domain(end, EventType.ACTION_STATUS_CHANGE, source, {
                action_id: action,
                status: failed ? 'failed' : 'succeeded',
              }),
            );
            out.push(
              this.domain(end + 500, failed ? EventType.ACTION_FAILED : EventType.ACTION_COMPLETE, source, {
                action_id: action,
              }),
            );
            out.push(
              this.domain(
                end + 1000,
                failed ? EventType.WORKFLOW_STEP_FAILED : EventType.WORKFLOW_STEP_COMPLETE,
                source,
                { step, workflow_id: workflow },
              ),
            );
            s = end + 1000;
          }
          const status = this.random() < 0.05 ? 'failed' : this.random() < 0.02 ? 'cancelled' : 'completed';
          out.push(
            this.domain(
              s + 2000,
              EventType.WORKFLOW_COMPLETE,
              { workflowId: workflow, workcellId: workcell, userId: user },
              {
                workflow_id: workflow,
                name,
                author,
                status,
                duration_seconds: (s + 2000 - started) / 1000,
                start_time: new Date(started).toISOString(),
                end_time: new Date(s + 2000).toISOString(),
                step_count: steps,
              },
              false,
            ),
          );
          t = s + this.between(2 * MINUTE, 20 * MINUTE);
        }
        const outcome = this.random() < 0.06 ? EventType.EXPERIMENT_FAILED : EventType.EXPERIMENT_COMPLETE;
        out.push(
          this.domain(
            t,
            outcome,
            { experimentId: experiment, workcellId: workcell },
            { status: outcome === EventType.EXPERIMENT_FAILED ? 'failed' : 'completed' },
          ),
        );
        t += this.between(10 * MINUTE, 40 * MINUTE);
      }
      const stops = w === 2 ? weekday === 5 : !(w === 3 && this.random() < 0.1); // workcell 4 sometimes restarts without a stop
      if (stops) {
        nodes.forEach((node, n) =>
          out.push(
            this.domain(sessionEnd - (n + 1) * MINUTE, EventType.NODE_STOP, { nodeId: node, workcellId: workcell }, {}),
          ),
        );
        out.push(
          this.domain(sessionEnd, EventType.WORKCELL_STOP, { workcellId: workcell, managerId: workcell }, {}, false),
        );
        if (w === 2) this.openSince.delete(w);
      }
    });
    return out;
  }

  /** A routine event somewhere in the day: status updates, health checks, logs. */
  private chatter(day: number): Draft {
    const at = this.start + day * 24 * HOUR + this.between(0, 24 * HOUR);
    const w = Math.floor(this.random() * LAB_WORKCELLS.length);
    const node = this.pick(LAB_NODES[w]!);
    const r = this.random();
    if (r < 0.3)
      return {
        at,
        input: {
          eventType: EventType.NODE_STATUS_UPDATE,
          logLevel: EventLogLevel.DEBUG,
          source: { nodeId: node, workcellId: LAB_WORKCELLS[w]! },
          eventData: { status: { idle: this.random() < 0.7 }, temperature: Math.round(200 + this.random() * 150) / 10 },
        },
      };
    if (r < 0.4)
      return {
        at,
        input: {
          eventType: EventType.MANAGER_HEALTH_CHECK,
          logLevel: EventLogLevel.DEBUG,
          source: { managerId: LAB_WORKCELLS[w]! },
          eventData: { healthy: true },
        },
      };
    const level =
      r < 0.75
        ? EventLogLevel.DEBUG
        : r < 0.95
          ? EventLogLevel.INFO
          : r < 0.99
            ? EventLogLevel.WARNING
            : EventLogLevel.ERROR;
    const type = {
      [EventLogLevel.DEBUG]: EventType.LOG_DEBUG,
      [EventLogLevel.INFO]: EventType.LOG_INFO,
      [EventLogLevel.WARNING]: EventType.LOG_WARNING,
      [EventLogLevel.ERROR]: EventType.LOG_ERROR,
    }[level as 10 | 20 | 30 | 40];
    return {
      at,
      input: {
        eventType: type,
        logLevel: level,
        source: { nodeId: node, workcellId: LAB_WORKCELLS[w]! },
        eventData: {
          message: `${NODE_NAMES[LAB_NODES[w]!.indexOf(node)]}: reading ${Math.round(this.random() * 1000)}`,
        },
      },
    };
  }
}
