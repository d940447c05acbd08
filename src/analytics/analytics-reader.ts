import type { EventDocument } from '../store/event-document';
import type { EventStore, ReadOrder, Selector } from '../store/event-store';
import {
  anyTypeSelector,
  dig,
  firstName,
  loggedTypeSelector,
  LOG_TYPES,
  namesWorkcell,
  rowToAnalyticsEvent,
  toAnalyticsEvent,
  type AnalyticsEvent,
} from './analytics-event';
import { pyStr, pyTruthy } from './python';

/** The fields the reports use: everything else (notably the search text) is never read. */
const PROJECTION = ['_id', 'event_type', 'event_timestamp', 'source', 'event_data'] as const;

/** Rows per streaming step of each merged read. */
const CHUNK = 1000;

const before = (a: EventDocument, b: EventDocument): boolean => {
  const d = a.event_timestamp.getTime() - b.event_timestamp.getTime();
  return d < 0 || (d === 0 && a._id < b._id);
};

/** Merges streams that are each in (event_timestamp, _id) order into one in that order. */
export async function* mergeOrdered(streams: AsyncIterable<EventDocument>[]): AsyncGenerator<EventDocument> {
  const iterators = streams.map((stream) => stream[Symbol.asyncIterator]());
  const heads: (EventDocument | null)[] = await Promise.all(
    iterators.map(async (it) => ((await it.next()).value as EventDocument | undefined) ?? null),
  );
  try {
    for (;;) {
      let min = -1;
      for (let i = 0; i < heads.length; i++) if (heads[i] && (min < 0 || before(heads[i]!, heads[min]!))) min = i;
      if (min < 0) return;
      yield heads[min]!;
      const next = await iterators[min]!.next();
      heads[min] = next.done ? null : next.value;
    }
  } finally {
    // A consumer that stops early closes every read still open.
    await Promise.all(iterators.map((it, i) => (heads[i] ? it.return?.() : undefined)));
  }
}

/**
 * How the analytics read events: through the store's streaming read, oldest first, in keyset
 * chunks, so memory stays flat however long the window. Every event passes through
 * {@link toAnalyticsEvent}, which keeps only what the reports use.
 */
export class AnalyticsReader {
  constructor(private readonly store: EventStore) {}

  /**
   * Events whose effective type is one of `types`, with `from <= t <= to` when a window is given,
   * in (time, id) order. A store with `readTyped` answers it itself (SQLite:
   * docs/performance.md#utilization-reports); else one streaming read per stored type, merged:
   * each is an ordered range of the (type, time) index, where a single read of several types
   * would make the database sort every remaining match again for each chunk; or, on a store that
   * reads a selector best as one query ({@link EventStore.multiSelectorRead}: MongoDB), one read
   * of them all.
   */
  async *events(types: readonly string[], window?: { from: number; to: number }): AsyncGenerator<AnalyticsEvent> {
    for await (const chunk of this.chunks(types, window)) yield* chunk;
  }

  /** {@link events} in time-ordered chunks (fewer awaits for the long reads). */
  async *chunks(types: readonly string[], window?: { from: number; to: number }): AsyncGenerator<AnalyticsEvent[]> {
    const wanted = new Set(types);
    if (this.store.readTyped) {
      // The store's own typed read (SQLite: index ranges by effective type, merged in chunks).
      for await (const rows of this.store.readTyped(types, window)) {
        const chunk: AnalyticsEvent[] = [];
        for (const row of rows) {
          const e = rowToAnalyticsEvent(row);
          if (wanted.has(e.type) && (!window || e.t >= window.from)) chunk.push(e);
        }
        if (chunk.length > 0) yield chunk;
      }
      return;
    }
    let chunk: AnalyticsEvent[] = [];
    // The window's start is where the keyset read begins, not a condition: SQLite would take a
    // constant lower bound for its index range instead of the keyset position, and rescan the
    // window from its start for every chunk.
    const inWindow = (selector: Selector): Selector =>
      window ? { $and: [{ event_timestamp: { $lte: new Date(window.to) } }, selector] } : selector;
    const selectors = [
      ...types.filter((type) => !LOG_TYPES.includes(type)).map((type) => ({ event_type: type })),
      ...LOG_TYPES.map((type) => loggedTypeSelector(type, types)),
    ];
    const order: ReadOrder = {
      field: 'event_timestamp',
      direction: 1,
      ...(window ? { after: { value: new Date(window.from - 1), id: '\uffff' } } : {}),
    };
    const read = (selector: Selector) =>
      this.store.stream(inWindow(selector), { order, chunkSize: CHUNK, projection: PROJECTION });
    const streams = this.store.multiSelectorRead === 'or' ? [read(anyTypeSelector(types))] : selectors.map(read);
    for await (const doc of mergeOrdered(streams)) {
      const e = toAnalyticsEvent(doc);
      if (wanted.has(e.type) && (!window || e.t >= window.from) && chunk.push(e) >= CHUNK) {
        yield chunk;
        chunk = [];
      }
    }
    if (chunk.length > 0) yield chunk;
  }

  /** All of {@link events} in an array: only for the rare types (session starts and stops). */
  async list(types: readonly string[], window?: { from: number; to: number }): Promise<AnalyticsEvent[]> {
    const out: AnalyticsEvent[] = [];
    for await (const e of this.events(types, window)) out.push(e);
    return out;
  }

  /** Earliest and latest `event_timestamp` of the whole collection (archived included), or null when empty. */
  async extent(): Promise<{ first: number; last: number } | null> {
    const [first] = await this.store.find({}, { order: { field: 'event_timestamp', direction: 1 }, limit: 1 });
    const [last] = await this.store.find({}, { order: { field: 'event_timestamp', direction: -1 }, limit: 1 });
    return first && last ? { first: first.event_timestamp.getTime(), last: last.event_timestamp.getTime() } : null;
  }

  /** Counts per value of a source field among the given values (for the workcell test). */
  async presentIn(field: 'source.workcell_id' | 'source.manager_id', values: readonly string[]): Promise<Set<string>> {
    if (values.length === 0) return new Set();
    const groups = await this.store.countGroups({ [field]: { $in: [...values] } }, { groupField: field });
    return new Set(groups.map((g) => String(g.key)));
  }
}

/**
 * MADSci's per-request name and workcell lookups over the whole collection (docs/utilization-reports.md#names-and-the-workcell-test),
 * answered in batches: the ids a report needs are collected first, then resolved with one
 * pass over the rare event types that carry names, plus two grouped counts for the workcell test.
 */
export class AnalyticsLookups {
  private readonly workcells = new Map<string, boolean>();
  private readonly nodeNames = new Map<string, string | null>();
  private readonly experimentNames = new Map<string, string | null>();
  private readonly workcellNames = new Map<string, string>();

  constructor(private readonly reader: AnalyticsReader) {}

  /** Resolves everything the getters below will be asked about. */
  async resolve(need: {
    workcellChecks?: Iterable<string>;
    nodes?: Iterable<string>;
    experiments?: Iterable<string>;
    workcells?: Iterable<string>;
  }): Promise<void> {
    const fresh = <T>(ids: Iterable<string> | undefined, cache: Map<string, T>) =>
      [...new Set(ids ?? [])].filter((id) => id !== '' && !cache.has(id));
    const checks = fresh(need.workcellChecks, this.workcells);
    const nodes = fresh(need.nodes, this.nodeNames);
    const experiments = fresh(need.experiments, this.experimentNames);
    const workcells = fresh(need.workcells, this.workcellNames);

    const isWorkcell = new Set<string>();
    if (checks.length > 0) {
      for (const field of ['source.workcell_id', 'source.manager_id'] as const) {
        for (const id of await this.reader.presentIn(field, checks)) isWorkcell.add(id);
      }
    }

    const types = new Set<string>();
    if (checks.some((id) => !isWorkcell.has(id)))
      ['workcell_start', 'workcell_stop', 'lab_start', 'lab_stop'].forEach((t) => types.add(t));
    if (workcells.length > 0) ['workcell_start', 'lab_start'].forEach((t) => types.add(t));
    if (nodes.length > 0) types.add('node_start');
    if (experiments.length > 0) types.add('experiment_start');

    const checkSet = new Set(checks);
    const nodeSet = new Set(nodes);
    const experimentSet = new Set(experiments);
    const workcellSet = new Set(workcells);
    const seen = new Map<string, number>();
    const decidedNodes = new Map<string, string | null>();
    const decidedExperiments = new Map<string, string | null>();
    const decidedWorkcells = new Map<string, string>();
    // "Up to n matching events per id, in order": MADSci's `find(...).limit(n)` per id.
    const take = (kind: string, id: string, limit: number) => {
      const key = `${kind}\u0000${id}`;
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      return n <= limit;
    };

    if (types.size > 0) {
      for await (const e of this.reader.events([...types])) {
        if (
          e.type === 'workcell_start' ||
          e.type === 'workcell_stop' ||
          e.type === 'lab_start' ||
          e.type === 'lab_stop'
        ) {
          if (e.data.workcell_id !== undefined) {
            const named = pyStr(e.data.workcell_id);
            if (checkSet.has(named)) isWorkcell.add(named);
          }
        }
        if ((e.type === 'workcell_start' || e.type === 'lab_start') && workcellSet.size > 0) {
          for (const id of workcellSet) {
            if (decidedWorkcells.has(id) || !namesWorkcell(e, id) || !take('w', id, 3)) continue;
            const candidates = [e.data.name, e.data.workcell_name, e.data.lab_name, e.data.display_name];
            const name = candidates.find(
              (c): c is string => typeof c === 'string' && c.trim() !== '' && !c.startsWith('Workcell '),
            );
            if (name !== undefined) decidedWorkcells.set(id, name.trim());
          }
        }
        if (e.type === 'node_start' && nodeSet.size > 0) {
          const ids = new Set(
            [e.data.node_id, e.source.node_id, e.source.workcell_id].filter(
              (v): v is string => typeof v === 'string' && nodeSet.has(v),
            ),
          );
          for (const id of ids) {
            if (decidedNodes.has(id) || !take('n', id, 5)) continue;
            const name = e.data.node_name;
            // MADSci strips a truthy node_name; a non-string one fails the lookup (null).
            if (pyTruthy(name)) decidedNodes.set(id, typeof name === 'string' ? name.trim() : null);
          }
        }
        if (e.type === 'experiment_start' && experimentSet.size > 0) {
          const ids = new Set(
            [
              e.source.experiment_id,
              e.data.experiment_id,
              dig(e.data, 'experiment', '_id'),
              dig(e.data, 'experiment', 'experiment_id'),
            ].filter((v): v is string => typeof v === 'string' && experimentSet.has(v)),
          );
          for (const id of ids) {
            if (decidedExperiments.has(id) || !take('x', id, 5)) continue;
            const name = firstName(
              e.data.experiment_name,
              e.data.name,
              dig(e.data, 'experiment', 'name'),
              dig(e.data, 'experiment', 'experiment_design', 'experiment_name'),
              dig(e.data, 'experiment', 'run_name'),
            );
            if (name !== null) decidedExperiments.set(id, name);
          }
        }
      }
    }
    for (const id of checks) this.workcells.set(id, isWorkcell.has(id));
    for (const id of nodes) this.nodeNames.set(id, decidedNodes.get(id) ?? null);
    for (const id of experiments) this.experimentNames.set(id, decidedExperiments.get(id) ?? null);
    for (const id of workcells) this.workcellNames.set(id, decidedWorkcells.get(id) ?? `Workcell ${id.slice(-8)}`);
  }

  /** Whether any event names the id as its workcell or manager. False for ids not resolved. */
  isWorkcell(id: string): boolean {
    return id !== '' && (this.workcells.get(id) ?? false);
  }

  nodeName(id: string): string | null {
    return this.nodeNames.get(id) ?? null;
  }

  experimentName(id: string): string | null {
    return this.experimentNames.get(id) ?? null;
  }

  workcellName(id: string): string {
    return this.workcellNames.get(id) ?? `Workcell ${id.slice(-8)}`;
  }
}
