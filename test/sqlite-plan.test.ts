import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventOrder } from '../src/events/event.enums';
import { EventService } from '../src/events/event.service';
import type { EventFilter } from '../src/events/event.types';
import { SqliteEventStore } from '../src/store/sqlite/sqlite-event-store';
import type { ReadOrder } from '../src/store/event-store';
import { NODES } from './support/fixtures';
import { openStore, testConfig } from './support/stores';

describe('SQLite query plans', () => {
  let store: SqliteEventStore;
  let dispose: () => Promise<void>;
  let service: EventService;

  beforeAll(async () => {
    const opened = await openStore('sqlite');
    store = opened.store as SqliteEventStore;
    dispose = opened.dispose;
    service = new EventService(store, testConfig({}).limits);
  });
  afterAll(async () => dispose());

  const after = { value: new Date('2025-03-01T00:00:00Z'), id: '01JGZ8Q5T30000000000000000' };
  const FILTERS: [string, EventFilter | null][] = [
    ['no filter', null],
    ['all archive states', { archived: 'ALL' as never }],
    ['archived only', { archived: 'ARCHIVED' as never }],
    ['minLevel', { minLevel: 30 }],
    ['levels', { levels: [40, 50] }],
    ['eventTypes', { eventTypes: ['node_error' as never] }],
    ['time range', { from: new Date('2025-01-01T00:00:00Z'), to: new Date('2025-02-01T00:00:00Z') }],
    ['node', { source: { nodeId: [NODES[0]!] } }],
    ['workcell', { source: { workcellId: [NODES[1]!] } }],
    ['workflow', { source: { workflowId: [NODES[1]!] } }],
    ['experiment', { source: { experimentId: [NODES[1]!] } }],
    ['user', { source: { userId: [NODES[1]!] } }],
    ['alert', { alert: true }],
    ['text', { text: 'pump' }],
    ['or', { or: [{ minLevel: 40 }, { alert: true }] }],
  ];

  for (const [name, filter] of FILTERS) {
    for (const order of [
      { field: 'event_timestamp', direction: -1 },
      { field: 'event_timestamp', direction: 1, after },
      { field: 'received_at', direction: 1, after },
    ] satisfies ReadOrder[]) {
      it(`reads a page by ${name}, ${order.field} ${order.direction === 1 ? 'ascending' : 'descending'}${'after' in order ? ' after a cursor' : ''}, through an index`, () => {
        const plan = store.explainFind(service.selectorFor(filter), order);
        expect(plan.join('\n')).toMatch(/USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY/);
        for (const step of plan) expect(step, plan.join(' | ')).not.toMatch(/^SCAN events$|^SCAN events (?!USING)/);
      });
    }
  }

  // docs/performance.md#merged-seeks: one seek per listed value on its (value, event_timestamp) index, merged.
  for (const [name, filter, index, values] of [
    ['event types', { eventTypes: ['node_error', 'action_failed', 'experiment_failed'] }, 'events_type_ts', 3],
    ['levels', { levels: [40, 50] }, 'events_level_ts', 2],
    [
      'nodes with a type',
      { source: { nodeId: [NODES[0]!, NODES[1]!] }, eventTypes: ['node_error'] },
      'events_node_ts',
      2,
    ],
  ] as [string, EventFilter, string, number][]) {
    for (const order of [
      { field: 'event_timestamp', direction: -1 },
      { field: 'event_timestamp', direction: 1, after },
    ] satisfies ReadOrder[]) {
      it(`reads a page of several ${name} as ${values} merged index seeks${'after' in order ? ' after a cursor' : ''}`, () => {
        const plan = store.explainFind(service.selectorFor(filter), order);
        const text = plan.join(' | ');
        expect(text).toMatch(/MERGE \(UNION ALL\)/);
        const column =
          index === 'events_type_ts' ? 'event_type' : index === 'events_level_ts' ? 'log_level' : 'source_node_id';
        const seeks = plan.filter((step) => step.startsWith(`SEARCH events USING INDEX ${index} (${column}=?`));
        expect(seeks, text).toHaveLength(values);
        for (const step of plan) expect(step, text).not.toMatch(/^SCAN events/);
      });
    }
  }

  it('reads a page of a rare text term from the text index, and a 2-character term by the scan', async () => {
    const plan = store.explainFind(service.selectorFor({ text: 'pump' }), { field: 'event_timestamp', direction: -1 });
    expect(plan.join(' | ')).toMatch(/VIRTUAL TABLE INDEX/);
    expect(plan.join(' | ')).toMatch(/SEARCH events USING INTEGER PRIMARY KEY \(rowid=\?\)/);
    const short = store.explainFind(service.selectorFor({ text: 'pu' }), { field: 'event_timestamp', direction: -1 });
    expect(short.join(' | ')).not.toMatch(/VIRTUAL TABLE/);
  });

  it('is a real check: a query on a column without an index is a table scan', () => {
    const plan = store.explainFind({ trace_id: 'x' }, { field: 'event_timestamp', direction: -1 });
    // The order can still come from an index, but only by walking it whole.
    expect(plan.join('\n')).toMatch(/SCAN events/);
  });

  it('orders pages without a temporary sort', () => {
    const plan = store.explainFind(service.selectorFor({ minLevel: 30 }), { field: 'event_timestamp', direction: -1 });
    expect(plan.join('\n')).not.toMatch(/USE TEMP B-TREE/);
    void EventOrder;
  });
});
