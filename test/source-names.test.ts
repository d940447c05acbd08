/**
 * `sourceNames`: the names the events give to source ids, resolved as the reports resolve them
 * (docs/utilization-reports.md#names-and-the-workcell-test), on both stores. The dashboard shows
 * them instead of ids.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourceNamesDocument } from './generated/graphql';
import { ev, logAll, N1, W1, WC, WORKED_EXAMPLE, X1 } from './support/analytics';
import { startTestServer, type TestServer } from './support/server';
import { STORE_KINDS } from './support/stores';

const N2 = '01JGZ8Q5T30000000000000N02';
const N3 = '01JGZ8Q5T30000000000000N03';
const N4 = '01JGZ8Q5T30000000000000N04';
const N5 = '01JGZ8Q5T30000000000000N05';
const WC2 = '01JGZ8Q5T3000000000000WC02';
const WC3 = '01JGZ8Q5T3000000000000WC03';
const W2 = '01JGZ8Q5T3000000000000WF02';
const W3 = '01JGZ8Q5T3000000000000WF03';
const UNKNOWN = '01JGZ8Q5T3000000000000ZZZZ';

/** The worked example plus names given in the other ways the reports read (and some that are not names). */
const EVENTS = [
  ...WORKED_EXAMPLE,
  // A node started without a name, then with one (stripped); another whose first name is blank,
  // which decides as in the reports (MADSci takes the first truthy node_name): no name.
  ev('2025-01-06T08:06:00', 'NODE_START', { nodeId: N2 }, {}),
  ev('2025-01-06T08:07:00', 'NODE_START', { nodeId: N2 }, { node_name: ' plate_reader ' }),
  ev('2025-01-06T08:07:30', 'NODE_START', { nodeId: N5 }, { node_name: '  ' }),
  ev('2025-01-06T08:07:40', 'NODE_START', { nodeId: N5 }, { node_name: 'too late' }),
  // A structured-log event whose effective type is node_start (docs/madsci-compatibility.md#d1-effective-event-type).
  ev('2025-01-06T08:08:00', 'LOG_INFO', { nodeId: N3 }, { event_type: 'NODE_START', node_name: 'liquid_handler' }),
  // node_name on another type is no name.
  ev('2025-01-06T08:09:00', 'NODE_STATUS_UPDATE', { nodeId: N4 }, { node_name: 'not from a start' }),
  // A lab start names its workcell by `name`; a workcell named "Workcell ..." keeps no name.
  ev('2025-01-06T08:10:00', 'LAB_START', { workcellId: WC2 }, { name: 'Synthesis Lab' }),
  ev('2025-01-06T08:11:00', 'WORKCELL_START', { workcellId: WC3 }, { workcell_name: 'Workcell 0000WC03' }),
  // The first event of a workflow names it, carried in source.workflow_id.
  ev('2025-01-06T08:12:00', 'WORKFLOW_START', { workflowId: W2 }, { workflow_name: 'prep plates' }),
  ev('2025-01-06T08:40:00', 'WORKFLOW_COMPLETE', { workflowId: W2 }, { name: 'renamed later' }),
  // A workflow whose first event has no name has none.
  ev('2025-01-06T08:13:00', 'WORKFLOW_START', { workflowId: W3 }, {}),
  ev('2025-01-06T08:14:00', 'WORKFLOW_COMPLETE', { workflowId: W3 }, { name: 'too late' }),
];

describe.each(STORE_KINDS)('sourceNames on %s', (kind) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(kind);
    await logAll(server, EVENTS);
  });
  afterAll(async () => server?.stop());

  it('names nodes, workcells, experiments and workflows as the reports do, null where no event names them', async () => {
    const { sourceNames } = await server.ok(SourceNamesDocument, {
      nodeIds: [N1, N2, N3, N4, N5, UNKNOWN, N1],
      workcellIds: [WC, WC2, WC3, UNKNOWN],
      experimentIds: [X1, UNKNOWN],
      workflowIds: [W1, W2, W3, UNKNOWN],
    });
    expect(sourceNames).toEqual({
      nodes: [
        { id: N1, name: 'robot_arm' },
        { id: N2, name: 'plate_reader' },
        { id: N3, name: 'liquid_handler' },
        { id: N4, name: null },
        { id: N5, name: null },
        { id: UNKNOWN, name: null },
      ],
      workcells: [
        { id: WC, name: 'Demo Workcell' },
        { id: WC2, name: 'Synthesis Lab' },
        { id: WC3, name: null },
        { id: UNKNOWN, name: null },
      ],
      experiments: [
        { id: X1, name: 'Exp A' },
        { id: UNKNOWN, name: null },
      ],
      workflows: [
        { id: W1, name: 'transfer' },
        { id: W2, name: 'prep plates' },
        { id: W3, name: null },
        { id: UNKNOWN, name: null },
      ],
    });
  });

  it('answers empty lists when asked about nothing', async () => {
    const { sourceNames } = await server.ok(SourceNamesDocument, {});
    expect(sourceNames).toEqual({ nodes: [], workcells: [], experiments: [], workflows: [] });
  });

  it('refuses more than 500 ids of one kind with BAD_USER_INPUT naming the argument', async () => {
    const ids = Array.from({ length: 501 }, (_, i) => `node-${i}`);
    const response = await server.gql(SourceNamesDocument, { nodeIds: ids });
    // No data at all: the answer has its error's status (docs/errors.md#graphql-over-http).
    expect(response.status).toBe(400);
    expect(response.data ?? null).toBeNull();
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'nodeIds' });
  });
});
