/**
 * A realistic day of a small lab, as events: two workcells, five named nodes, workflows that
 * start and complete, an experiment, and log lines at every level, over the hours before `now`.
 * The browser tests load it to take the README's screenshots (docs/images/); run it to fill a
 * server for a demo:
 *
 *   npx tsx scripts/demo-lab.ts http://127.0.0.1:8000 [api-key]
 *
 * Ids are fixed ULIDs and the sequence is the same on every run (only the times follow `now`).
 */
import path from 'node:path';
import { seededRandom } from '../test/support/fixtures';

/** An event as the `logEvents` mutation takes it (GraphQL EventInput). */
export interface DemoEvent {
  eventType: string;
  logLevel: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';
  eventTimestamp: string;
  source: Record<string, string>;
  eventData: Record<string, unknown>;
  alert?: boolean;
}

export const DEMO_WORKCELLS = {
  synthesis: { id: '01JH0DEMQ0000000000000WCS1', name: 'Synthesis Workcell' },
  analysis: { id: '01JH0DEMQ0000000000000WCA1', name: 'Analysis Workcell' },
} as const;

export const DEMO_NODES = [
  { id: '01JH0DEMQ000000000000NARM1', name: 'ur5e_arm', workcell: 'synthesis' },
  { id: '01JH0DEMQ000000000000N0T21', name: 'ot2_liquid_handler', workcell: 'synthesis' },
  { id: '01JH0DEMQ000000000000NCRN1', name: 'plate_crane', workcell: 'synthesis' },
  { id: '01JH0DEMQ000000000000NRDR1', name: 'plate_reader', workcell: 'analysis' },
  { id: '01JH0DEMQ000000000000NHPC1', name: 'hplc', workcell: 'analysis' },
] as const;

export const DEMO_EXPERIMENT = { id: '01JH0DEMQ00000000000000XP1', name: 'Catalyst screen 12' };

const WORKFLOWS = ['transfer plates', 'prepare samples', 'measure absorbance', 'run HPLC method'];

/** The demo day: about 300 events over the `hours` before `now`, oldest first. */
export function demoLabEvents(now: number, hours = 9): DemoEvent[] {
  const next = seededRandom(12);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const start = now - hours * 3_600_000;
  const events: DemoEvent[] = [];
  const at = (t: number) => new Date(Math.min(t, now - 1000)).toISOString();
  const add = (t: number, event: Omit<DemoEvent, 'eventTimestamp'>) => events.push({ ...event, eventTimestamp: at(t) });

  // Morning start-up: workcells, then their nodes, by name.
  for (const [i, workcell] of Object.values(DEMO_WORKCELLS).entries()) {
    add(start + i * 60_000, {
      eventType: 'WORKCELL_START',
      logLevel: 'INFO',
      source: { workcellId: workcell.id, managerId: workcell.id },
      eventData: { message: `${workcell.name} online`, workcell_name: workcell.name },
    });
  }
  for (const [i, node] of DEMO_NODES.entries()) {
    add(start + (3 + i) * 60_000, {
      eventType: 'NODE_START',
      logLevel: 'INFO',
      source: { nodeId: node.id, workcellId: DEMO_WORKCELLS[node.workcell].id },
      eventData: { message: `${node.name} ready`, node_name: node.name },
    });
  }
  add(start + 10 * 60_000, {
    eventType: 'EXPERIMENT_START',
    logLevel: 'INFO',
    source: { experimentId: DEMO_EXPERIMENT.id },
    eventData: { message: `Experiment "${DEMO_EXPERIMENT.name}" started`, experiment_name: DEMO_EXPERIMENT.name },
  });

  // Workflows through the day, each with node activity and log lines at varied levels.
  const notes: [DemoEvent['logLevel'], string][] = [
    ['DEBUG', 'Deck state refreshed (12 labware)'],
    ['INFO', 'Moved plate from deck 3 to reader'],
    ['INFO', 'Aspirated 50 µL from A1'],
    ['INFO', 'Dispensed 50 µL into B1-B12'],
    ['INFO', 'Absorbance read at 600 nm'],
    ['INFO', 'Column pressure 182 bar'],
    ['WARNING', 'Gripper torque high (82 %)'],
    ['WARNING', 'Tip rack 2 running low (6 tips left)'],
    ['ERROR', 'Tip pickup failed at rack 2 B4, retrying'],
  ];
  let t = start + 15 * 60_000;
  let run = 0;
  while (t < now - 20 * 60_000) {
    run++;
    const name = WORKFLOWS[run % WORKFLOWS.length]!;
    const workflowId = `01JH0DEMQ0000000000000W${String(run).padStart(3, '0')}`;
    const workcell = name.includes('HPLC') || name.includes('absorbance') ? 'analysis' : 'synthesis';
    const nodes = DEMO_NODES.filter((node) => node.workcell === workcell);
    const workcellId = DEMO_WORKCELLS[workcell].id;
    const begun = t;
    add(t, {
      eventType: 'WORKFLOW_START',
      logLevel: 'INFO',
      source: { workcellId, workflowId, experimentId: DEMO_EXPERIMENT.id },
      eventData: { message: `Workflow ${name} started`, workflow_id: workflowId, name, author: pick(['alice', 'bob']) },
    });
    const steps = 3 + Math.floor(next() * 4);
    for (let step = 0; step < steps; step++) {
      // Each step is an action on a node (busy time in the utilization reports) and a log line.
      t += (0.5 + next() * 2) * 60_000;
      const node = pick(nodes);
      const actionId = `${workflowId}-${step}`;
      const action = (status: string) => ({
        eventType: 'ACTION_STATUS_CHANGE',
        logLevel: 'INFO' as const,
        source: { nodeId: node.id, workcellId, workflowId },
        eventData: { message: `Action ${step + 1} of ${name} ${status}`, action_id: actionId, status },
      });
      add(t, action('running'));
      const [level, message] = pick(notes);
      t += (1 + next() * 3) * 60_000;
      add(t, {
        eventType: level === 'ERROR' ? 'NODE_ERROR' : level === 'WARNING' ? 'NODE_STATUS_UPDATE' : 'LOG_INFO',
        logLevel: level,
        source: { nodeId: node.id, workcellId, workflowId },
        eventData: { message },
      });
      t += (0.5 + next()) * 60_000;
      add(t, action('succeeded'));
    }
    t += 60_000;
    const failed = run % 9 === 0;
    add(t, {
      eventType: failed ? 'WORKFLOW_ABORT' : 'WORKFLOW_COMPLETE',
      logLevel: failed ? 'CRITICAL' : 'INFO',
      alert: failed,
      source: { workcellId, workflowId, experimentId: DEMO_EXPERIMENT.id },
      eventData: {
        message: failed
          ? `Workflow ${name} aborted: plate not detected on deck 3`
          : `Workflow ${name} completed in ${((t - begun) / 60_000).toFixed(1)} min`,
        workflow_id: workflowId,
        name,
        status: failed ? 'failed' : 'completed',
        duration_seconds: Math.round((t - begun) / 1000),
      },
    });
    t += (4 + next() * 14) * 60_000;
  }
  return events;
}

/** Logs events into a server through the `logEvents` mutation. */
export async function logDemoEvents(url: string, events: DemoEvent[], apiKey?: string): Promise<number> {
  const query = 'mutation Demo($events: [EventInput!]!) { logEvents(events: $events) { insertedCount } }';
  const response = await fetch(`${url.replace(/\/$/, '')}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(apiKey ? { 'x-api-key': apiKey } : {}) },
    body: JSON.stringify({ query, variables: { events } }),
  });
  const body = (await response.json()) as { data?: { logEvents: { insertedCount: number } }; errors?: unknown[] };
  if (!body.data) throw new Error(`logEvents failed (HTTP ${response.status}): ${JSON.stringify(body.errors)}`);
  return body.data.logEvents.insertedCount;
}

// Run as a script, not when imported by the tests.
if (process.argv[1] && path.resolve(process.argv[1]) === __filename) {
  const [url = 'http://127.0.0.1:8000', apiKey] = process.argv.slice(2);
  logDemoEvents(url, demoLabEvents(Date.now()), apiKey).then(
    (count) => console.log(`logged ${count} demo events into ${url}`),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
