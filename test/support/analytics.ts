/** Fixtures of the analytics tests: MADSci's worked example (docs/utilization-reports.md#worked-example) and small lab scenarios. */
import type { EventInput, EventSourceInput, EventType } from '../generated/graphql';
import { LogEventsDocument } from '../generated/graphql';
import type { TestServer } from './server';

/** Ids of the worked example (valid ULIDs). */
export const WC = '01JGZ8Q5T3000000000000WC01';
export const N1 = '01JGZ8Q5T30000000000000N01';
export const X1 = '01JGZ8Q5T30000000000000X01';
export const W1 = '01JGZ8Q5T3000000000000WF01';

/** An event of a fixture: a naive (UTC) timestamp, a type, a source and a payload. */
export function ev(
  at: string,
  eventType: EventType,
  source: EventSourceInput = {},
  eventData: unknown = {},
  extra: Partial<EventInput> = {},
): EventInput {
  return { eventTimestamp: at, eventType, source, eventData, ...extra };
}

/** The nine events of the worked example (docs/utilization-reports.md#worked-example), all on 2025-01-06 (a Monday), naive UTC. */
export const WORKED_EXAMPLE: EventInput[] = [
  ev('2025-01-06T08:00:00', 'WORKCELL_START', { workcellId: WC, managerId: WC }, { workcell_name: 'Demo Workcell' }),
  ev('2025-01-06T08:05:00', 'NODE_START', { nodeId: N1 }, { node_name: 'robot_arm' }),
  ev('2025-01-06T08:30:00', 'EXPERIMENT_START', { experimentId: X1 }, { experiment_name: 'Exp A' }),
  ev('2025-01-06T09:00:00', 'ACTION_STATUS_CHANGE', { nodeId: N1 }, { action_id: 'A1', status: 'running' }),
  ev('2025-01-06T09:30:00', 'ACTION_STATUS_CHANGE', { nodeId: N1 }, { action_id: 'A1', status: 'succeeded' }),
  ev(
    '2025-01-06T09:45:00',
    'WORKFLOW_COMPLETE',
    { workcellId: WC },
    { workflow_id: W1, name: 'transfer', author: 'alice', status: 'completed', duration_seconds: 2700 },
  ),
  ev('2025-01-06T10:00:00', 'LOG_INFO', { nodeId: N1 }, { message: 'noise' }),
  ev('2025-01-06T10:30:00', 'EXPERIMENT_COMPLETE', { experimentId: X1 }, { status: 'completed' }),
  ev('2025-01-06T11:00:00', 'WORKCELL_STOP', { workcellId: WC, managerId: WC }, {}),
];

/** Logs events through the `logEvents` mutation. */
export async function logAll(server: TestServer, events: EventInput[]): Promise<void> {
  for (let i = 0; i < events.length; i += 1000) {
    const { logEvents } = await server.ok(LogEventsDocument, { events: events.slice(i, i + 1000) });
    if (logEvents.insertedCount !== Math.min(1000, events.length - i))
      throw new Error(`stored ${logEvents.insertedCount} events`);
  }
}

/** A report's generation stamp, as MADSci writes it (`...+00:00`). */
export const GENERATED_AT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/;

/** CSV text with the generation stamp replaced by `G` (as docs/utilization-reports.md#worked-example writes it). */
export function withG(csv: string): string {
  return csv.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00/, 'G');
}

/** Lines written with CRLF, as Python's csv module does. */
export const crlf = (lines: string[]): string => lines.map((line) => `${line}\r\n`).join('');
