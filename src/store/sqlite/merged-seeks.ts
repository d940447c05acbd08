import type { ReadOrder, Selector } from '../event-store';

/**
 * Columns (as document paths) with a `(column, event_timestamp)` index, and that index's name
 * (see the schema in `sqlite-event-store.ts`).
 */
const SEEK_INDEXES: Readonly<Record<string, string>> = {
  event_type: 'events_type_ts',
  log_level: 'events_level_ts',
  'source.node_id': 'events_node_ts',
  'source.workcell_id': 'events_workcell_ts',
  'source.workflow_id': 'events_workflow_ts',
  'source.experiment_id': 'events_experiment_ts',
  'source.user_id': 'events_user_ts',
};

/** Most values an `$in` may list to be read as one index seek per value. */
export const MAX_MERGED_VALUES = 64;

/** A selector read as the union of per-value selectors, each one seek on `index`. */
export interface PerValueSplit {
  index: string;
  selectors: Selector[];
}

/**
 * Splits a page read whose selector is a conjunction with an `$in` over an indexed column (the
 * filter's `eventTypes`, `levels` or a source list) into one selector per listed value: each is
 * a seek on that column's `(column, event_timestamp)` index that yields its rows already in
 * timestamp order, so a page reads at most `limit` rows per value however rare the values are
 * (docs/performance.md#merged-seeks). Null when the read does not have that shape: another
 * order, a single value, values of another type (MongoDB semantics are then left to the general
 * path), or too many values.
 */
export function splitPerValue(selector: Selector, order: ReadOrder): PerValueSplit | null {
  if (order.field !== 'event_timestamp') return null;
  const parts = conjuncts(selector);
  for (const [i, part] of parts.entries()) {
    if (!isRecord(part)) continue;
    const keys = Object.keys(part);
    if (keys.length !== 1) continue;
    const path = keys[0]!;
    const index = SEEK_INDEXES[path];
    const condition = part[path];
    if (!index || !isRecord(condition) || Object.keys(condition).length !== 1 || !Array.isArray(condition.$in))
      continue;
    const values = [...new Set(condition.$in as unknown[])];
    if (values.length < 2 || values.length > MAX_MERGED_VALUES) continue;
    const typed =
      path === 'log_level'
        ? values.every((v) => typeof v === 'number' && Number.isFinite(v))
        : values.every((v) => typeof v === 'string');
    if (!typed) continue;
    return {
      index,
      selectors: values.map((value) => {
        const copy = [...parts];
        copy[i] = { [path]: value };
        return { $and: copy } as Selector;
      }),
    };
  }
  return null;
}

/** The parts of a selector's top-level conjunction, nested `$and`s flattened, one field or operator each. */
export function conjuncts(selector: Selector): Selector[] {
  return Object.entries(selector).flatMap(([key, value]) =>
    key === '$and' && Array.isArray(value) ? value.flatMap((sub) => conjuncts(sub as Selector)) : [{ [key]: value }],
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date);
}
