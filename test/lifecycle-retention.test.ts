import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RetentionTask, type RetentionRunResult, type RetentionSettings } from '../src/lifecycle/retention.task';
import type { EventStore } from '../src/store/event-store';
import { MongoEventStore } from '../src/store/mongo/mongo-event-store';
import { SqliteEventStore } from '../src/store/sqlite/sqlite-event-store';
import { LifecycleEventIdsDocument, LogEventsDocument, type ArchiveState } from './generated/graphql';
import { makeDoc } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';
import { openStore, storeEnv, STORE_KINDS, testConfig, type StoreKind } from './support/stores';

const DAY = 24 * 3600 * 1000;
const T0 = Date.UTC(2025, 6, 1, 12, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

const SETTINGS: RetentionSettings = {
  enabled: true,
  softDeleteAfterDays: 30,
  hardDeleteAfterDays: 60,
  checkIntervalHours: 24,
  archiveBatchSize: 3,
  maxBatchesPerRun: 2,
};

/** Two (or more) stores on one database, as separate server instances would have. */
async function sharedStores(
  kind: StoreKind,
  count: number,
): Promise<{ stores: EventStore[]; dispose: () => Promise<void> }> {
  const { env, cleanup } = storeEnv(kind);
  const config = testConfig(env);
  const stores: EventStore[] = Array.from({ length: count }, () =>
    config.mongo ? new MongoEventStore(config.mongo) : new SqliteEventStore(path.join(config.dataDir, 'events.db')),
  );
  for (const store of stores) await store.init();
  return {
    stores,
    dispose: async () => {
      for (const store of stores) await store.close();
      await cleanup();
    },
  };
}

/** The same store, recording the ids each `setArchived` call was given. */
function recordingArchives(store: EventStore, calls: string[][]): EventStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'setArchived') {
        return (ids: readonly string[], at: Date | null) => {
          calls.push([...ids]);
          return target.setArchived(ids, at);
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe.each(STORE_KINDS)('retention task on %s', (kind) => {
  describe('through the server, with a moved clock', () => {
    let server: TestServer;
    let now = T0;

    beforeAll(async () => {
      server = await startTestServer(
        kind,
        {
          SOFT_DELETE_AFTER_DAYS: '30',
          HARD_DELETE_AFTER_DAYS: '60',
          ARCHIVE_BATCH_SIZE: '3',
          MAX_BATCHES_PER_RUN: '2',
        },
        { clock: () => new Date(now) },
      );
    });
    afterAll(async () => server?.stop());

    async function idsOf(archived: ArchiveState): Promise<string[]> {
      const { events } = await server.ok(LifecycleEventIdsDocument, { filter: { archived }, first: 1000 });
      return events.nodes.map((e) => e.id).sort();
    }

    it('archives events past the soft threshold, then deletes them past the hard one', async () => {
      const log = async (...days: number[]) =>
        (
          await server.ok(LogEventsDocument, {
            events: days.map((d, i) => ({ eventTimestamp: iso(T0 + d * DAY), eventData: { i } })),
          })
        ).logEvents.events.map((e) => e.id);
      const old = await log(-100, -100, -40, -40, -40, -40, -40);
      const recent = await log(-10, -10);
      const fresh = await log(1);
      const run = () => server.handle.services.retention.runOnce();
      const sort = (ids: string[]) => [...ids].sort();

      // 7 events are older than 30 days; batches of 3, at most 2 a run: 6 now, the last one next run.
      expect(await run()).toMatchObject({ ran: true, archivedCount: 6, deletedCount: 0, complete: false });
      expect(await run()).toMatchObject({ ran: true, archivedCount: 1, deletedCount: 0, complete: true });
      expect(await idsOf('ARCHIVED')).toEqual(sort(old));
      expect(await run()).toMatchObject({ ran: true, archivedCount: 0, deletedCount: 0, complete: true });

      // 25 days on, the -10 day events are 35 days old; nothing has been archived for 60 days.
      now = T0 + 25 * DAY;
      expect(await run()).toMatchObject({ archivedCount: 2, deletedCount: 0 });
      expect(await idsOf('ARCHIVED')).toEqual(sort([...old, ...recent]));

      // 61 days after the first archiving those events go for good; the later ones stay archived.
      now = T0 + 61 * DAY;
      expect(await run()).toMatchObject({ archivedCount: 1, deletedCount: 6, complete: false });
      expect(await run()).toMatchObject({ archivedCount: 0, deletedCount: 1, complete: true });
      expect(await idsOf('ALL')).toEqual(sort([...recent, ...fresh]));
      expect(await idsOf('ARCHIVED')).toEqual(sort([...recent, ...fresh]));

      now = T0 + 200 * DAY;
      expect(await run()).toMatchObject({ archivedCount: 0, deletedCount: 3, complete: true });
      expect(await idsOf('ALL')).toEqual([]);
    });
  });

  describe('the lease', () => {
    let shared: Awaited<ReturnType<typeof sharedStores>>;
    beforeAll(async () => {
      shared = await sharedStores(kind, 4);
    });
    afterAll(async () => shared?.dispose());

    it('goes to exactly one of many instances asking at once, and frees on release or expiry', async () => {
      const now = new Date(T0);
      const until = new Date(T0 + 60_000);
      const answers = await Promise.all(
        shared.stores.map((store, i) => store.acquireLease('job', `instance-${i}`, now, until)),
      );
      expect(answers.filter(Boolean)).toHaveLength(1);
      const holder = answers.indexOf(true);
      const other = (holder + 1) % shared.stores.length;
      const [holderStore, otherStore] = [shared.stores[holder]!, shared.stores[other]!];

      // The holder renews; another is refused until the lease expires ...
      expect(
        await holderStore.acquireLease('job', `instance-${holder}`, new Date(T0 + 30_000), new Date(T0 + 90_000)),
      ).toBe(true);
      expect(
        await otherStore.acquireLease('job', `instance-${other}`, new Date(T0 + 89_999), new Date(T0 + 120_000)),
      ).toBe(false);
      expect(
        await otherStore.acquireLease('job', `instance-${other}`, new Date(T0 + 90_000), new Date(T0 + 150_000)),
      ).toBe(true);
      // ... or is released; releasing a lease one does not hold does nothing.
      await holderStore.releaseLease('job', `instance-${holder}`);
      expect(
        await holderStore.acquireLease('job', `instance-${holder}`, new Date(T0 + 100_000), new Date(T0 + 160_000)),
      ).toBe(false);
      await otherStore.releaseLease('job', `instance-${other}`);
      expect(
        await holderStore.acquireLease('job', `instance-${holder}`, new Date(T0 + 100_000), new Date(T0 + 160_000)),
      ).toBe(true);
      // Leases of other names are independent.
      expect(await otherStore.acquireLease('other-job', `instance-${other}`, now, until)).toBe(true);
    });
  });

  describe('the task on its own', () => {
    let opened: Awaited<ReturnType<typeof openStore>>;
    beforeAll(async () => {
      opened = await openStore(kind);
    });
    afterAll(async () => opened?.dispose());

    it('runs at start, and after a failed run tries again at the next interval', async () => {
      const { store } = opened;
      await store.deleteMany({});
      await store.insertMany(
        Array.from({ length: 4 }, (_, i) => makeDoc({ event_timestamp: new Date(T0 - (40 + i) * DAY) })),
      );
      let failures = 1;
      // The database fails once, as a dropped connection would.
      const flaky = new Proxy(store, {
        get(target, property, receiver) {
          if (property === 'findIds' && failures > 0) {
            return () => {
              failures--;
              return Promise.reject(new Error('connection reset'));
            };
          }
          const value: unknown = Reflect.get(target, property, receiver);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
      const outcomes: ({ result: RetentionRunResult } | { error: unknown })[] = [];
      let settle: () => void = () => {};
      const secondRun = new Promise<void>((resolve) => (settle = resolve));
      const task = new RetentionTask(
        flaky,
        { ...SETTINGS, maxBatchesPerRun: 0 },
        {
          clock: () => new Date(T0),
          intervalMs: 20,
          pauseMs: 0,
          onRun: (outcome) => {
            outcomes.push(outcome);
            if (outcomes.length === 2) settle();
          },
        },
      );
      task.start();
      await secondRun;
      await task.stop();
      expect(outcomes[0]).toMatchObject({ error: new Error('connection reset') });
      expect(outcomes[1]).toMatchObject({ result: { ran: true, archivedCount: 4, complete: true } });
      // A stopped task does nothing more.
      expect(await task.runOnce()).toMatchObject({ ran: false, archivedCount: 0 });
    });
  });
});

describe('two retention runners on one MongoDB', () => {
  let shared: Awaited<ReturnType<typeof sharedStores>>;
  beforeAll(async () => {
    shared = await sharedStores('mongodb', 2);
  });
  afterAll(async () => shared?.dispose());

  it('never archive the same event twice, running at the same time', async () => {
    const [storeA, storeB] = shared.stores as [EventStore, EventStore];
    for (let round = 0; round < 3; round++) {
      await storeA.deleteMany({});
      const docs = Array.from({ length: 24 }, (_, i) => makeDoc({ event_timestamp: new Date(T0 - (31 + i) * DAY) }));
      await storeA.insertMany(docs);
      const callsA: string[][] = [];
      const callsB: string[][] = [];
      const settings = { ...SETTINGS, maxBatchesPerRun: 0 };
      const clock = () => new Date(T0);
      const a = new RetentionTask(recordingArchives(storeA, callsA), settings, { clock, owner: 'A', pauseMs: 5 });
      const b = new RetentionTask(recordingArchives(storeB, callsB), settings, { clock, owner: 'B', pauseMs: 5 });

      const [resultA, resultB] = await Promise.all([a.runOnce(), b.runOnce()]);

      const idsA = new Set(callsA.flat());
      const overlap = callsB.flat().filter((id) => idsA.has(id));
      expect(overlap).toEqual([]);
      expect(resultA.archivedCount + resultB.archivedCount).toBe(docs.length);
      expect(await storeA.count({ archived: true })).toBe(docs.length);
      // Both ran to the end (one of them possibly after the other, finding nothing left).
      expect([resultA.ran || resultB.ran, resultA.complete || resultB.complete]).toEqual([true, true]);
    }
  });
});
