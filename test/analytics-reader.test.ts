/**
 * `AnalyticsReader.events` on both stores, read both ways a store can ask for
 * (`EventStore.multiSelectorRead`): one merged stream per stored type, or one `$or` read of them
 * all. Both must hand out the same events as a plain oracle: the events whose effective type
 * (docs/madsci-compatibility.md#d1-effective-event-type) is wanted, inside the window, in (time,
 * id) order, each once, including log events that name a type in another spelling and log events
 * whose text mentions a type they are not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOG_TYPES, toAnalyticsEvent } from '../src/analytics/analytics-event';
import { AnalyticsReader } from '../src/analytics/analytics-reader';
import { LIFECYCLE_TYPES, ACTIVITY_TYPES } from '../src/analytics/sessions';
import { WORKFLOW_TYPES } from '../src/analytics/user-report';
import type { EventDocument } from '../src/store/event-document';
import type { EventStore } from '../src/store/event-store';
import { BASE_TIME, makeDoc, seededRandom } from './support/fixtures';
import { openStore, STORE_KINDS } from './support/stores';

const minute = (n: number) => new Date(BASE_TIME + n * 60_000);

/** Stored types and payloads: plain types, logged domain events in several spellings, and decoys. */
const SHAPES: { event_type: string; event_data: unknown }[] = [
  { event_type: 'experiment_start', event_data: { experiment_id: 'X1' } },
  { event_type: 'workflow_complete', event_data: { workflow_id: 'W1' } },
  { event_type: 'workcell_start', event_data: 'a string payload' },
  { event_type: 'node_error', event_data: { message: 'not an activity type' } },
  { event_type: 'log_info', event_data: { event_type: 'EXPERIMENT_START', experiment_id: 'X2' } },
  { event_type: 'log_warning', event_data: { event_type: 'EventType.WORKFLOW_START', workflow_id: 'W2' } },
  { event_type: 'log', event_data: { event_type: ' node_start ' } },
  { event_type: 'log_error', event_data: { event_type: 'eventtype.lab_stop' } },
  // Mentions wanted names but is none of them.
  { event_type: 'log_info', event_data: { event_type: 'node_error', message: 'after workflow_start and lab_stop' } },
  { event_type: 'log_debug', event_data: { message: 'workcell_start was logged as text only' } },
  { event_type: 'log_critical', event_data: ['workflow_complete'] },
];

describe.each(STORE_KINDS)('AnalyticsReader.events on %s', (kind) => {
  let store: EventStore;
  let dispose: () => Promise<void>;
  const random = seededRandom(5);
  // Four events per minute over 40 minutes, stored in shuffled order.
  const docs: EventDocument[] = Array.from({ length: 160 }, (_, i) =>
    makeDoc({ ...SHAPES[Math.floor(random() * SHAPES.length)]!, event_timestamp: minute(Math.floor(i / 4)) }),
  );

  beforeAll(async () => {
    ({ store, dispose } = await openStore(kind));
    await store.insertMany([...docs].sort(() => random() - 0.5));
  });
  afterAll(async () => dispose());

  /** The same store, asking the reader for one read style. */
  const reading = (mode: 'merge' | 'or'): EventStore =>
    new Proxy(store, {
      get: (target, key) => {
        if (key === 'multiSelectorRead') return mode;
        const value = Reflect.get(target, key, target) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });

  const oracle = (types: readonly string[], window?: { from: number; to: number }) =>
    docs
      .map(toAnalyticsEvent)
      .filter((e) => types.includes(e.type) && (!window || (e.t >= window.from && e.t <= window.to)))
      .sort((a, b) => a.t - b.t || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((e) => `${e.id} ${e.type}`);

  const cases: [string, readonly string[], { from: number; to: number } | undefined][] = [
    [
      'activity types in a window with bounds on event instants',
      ACTIVITY_TYPES,
      {
        from: minute(7).getTime(),
        to: minute(31).getTime(),
      },
    ],
    ['workflow types, no window', WORKFLOW_TYPES, undefined],
    [
      'lifecycle types in a window between instants',
      LIFECYCLE_TYPES,
      {
        from: minute(3).getTime() + 1,
        to: minute(20).getTime() - 1,
      },
    ],
    ['one type', ['experiment_start'], undefined],
  ];

  for (const [name, types, window] of cases) {
    it(`hands out the same events merged and as one read: ${name}`, async () => {
      const want = oracle(types, window);
      expect(want.length).toBeGreaterThan(0);
      // Some wanted events are logged domain events, and some log events are decoys.
      expect(want.some((line) => LOG_TYPES.includes(docs.find((d) => line.startsWith(d._id))!.event_type))).toBe(true);
      for (const mode of ['merge', 'or'] as const) {
        const seen: string[] = [];
        for await (const e of new AnalyticsReader(reading(mode)).events(types, window)) seen.push(`${e.id} ${e.type}`);
        expect(seen, mode).toEqual(want);
      }
    });
  }
});
