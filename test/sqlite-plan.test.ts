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
