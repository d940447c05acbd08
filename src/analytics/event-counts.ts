import { DateTime } from 'luxon';
import { EventLogLevel } from '../events/event.enums';
import { BadUserInputError } from '../core/errors';
import type { EventStore, GroupCount, GroupField, Selector } from '../store/event-store';
import { EventGroupBy, TimeBucket } from './analytics.enums';
import { isValidTimeZone } from './period-buckets';

/** Most buckets one `eventCounts` may span (a week of minutes, a year of hours). */
export const MAX_BUCKETS = 10_080;
/** Most rows one `eventCounts` may return (keys times buckets). */
export const MAX_COUNT_ROWS = 200_000;

/** One row of `eventCounts`. */
export interface EventCountRow {
  /** The group's value (type and level as GraphQL enum names, ids as stored); null for NONE or a missing id. */
  key: string | null;
  /** Start of the bucket, or null without buckets. */
  bucketStart: Date | null;
  count: number;
}

const GROUP_FIELDS: Record<EventGroupBy, GroupField | null> = {
  [EventGroupBy.NONE]: null,
  [EventGroupBy.EVENT_TYPE]: 'event_type',
  [EventGroupBy.LOG_LEVEL]: 'log_level',
  [EventGroupBy.NODE]: 'source.node_id',
  [EventGroupBy.WORKCELL]: 'source.workcell_id',
  [EventGroupBy.WORKFLOW]: 'source.workflow_id',
  [EventGroupBy.EXPERIMENT]: 'source.experiment_id',
  [EventGroupBy.USER]: 'source.user_id',
};

const UNITS = {
  [TimeBucket.MINUTE]: 'minute',
  [TimeBucket.HOUR]: 'hour',
  [TimeBucket.DAY]: 'day',
  [TimeBucket.WEEK]: 'week',
  [TimeBucket.MONTH]: 'month',
} as const;

/**
 * Bucket edges covering `[from, to)` in `zone`: the first is the start of the unit holding `from`
 * (weeks start on Monday), each next one a calendar unit later in local time (so days are 23 or
 * 25 hours long across DST changes), the last at or after `to`.
 * @throws BadUserInputError beyond {@link MAX_BUCKETS} buckets.
 */
export function bucketBoundaries(from: number, to: number, bucket: TimeBucket, zone: string): number[] {
  const unit = UNITS[bucket];
  let edge = DateTime.fromMillis(from, { zone }).startOf(unit);
  const edges = [edge.toMillis()];
  while (edges.at(-1)! < to) {
    if (edges.length > MAX_BUCKETS)
      throw new BadUserInputError(
        `At most ${MAX_BUCKETS} buckets per query; narrow the time range or use a larger bucket`,
        'bucket',
      );
    edge = edge.plus({ [`${unit}s`]: 1 });
    edges.push(edge.toMillis());
  }
  if (edges.length === 1) edges.push(edge.plus({ [`${unit}s`]: 1 }).toMillis());
  return edges;
}

function keyText(groupBy: EventGroupBy, key: GroupCount['key']): string | null {
  if (key === null || key === undefined) return null;
  if (groupBy === EventGroupBy.EVENT_TYPE) return String(key).toUpperCase();
  if (groupBy === EventGroupBy.LOG_LEVEL && typeof key === 'number') return EventLogLevel[key] ?? String(key);
  return String(key);
}

const byKey = (a: string | null, b: string | null) => (a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1);

/**
 * Counts the events a selector matches, grouped and optionally bucketed, pushed down to the store.
 * With buckets, the range is the filter's `from`/`to` where given, else the matching events' own
 * span; every bucket of the range appears for every key, with 0 where nothing happened.
 */
export async function countEvents(
  store: EventStore,
  selector: Selector,
  args: {
    groupBy: EventGroupBy;
    bucket?: TimeBucket | null;
    timezone?: string | null;
    from?: Date | null;
    to?: Date | null;
  },
): Promise<EventCountRow[]> {
  const field = GROUP_FIELDS[args.groupBy];
  if (!args.bucket) {
    const groups = await store.countGroups(selector, { groupField: field });
    // Counting everything always answers one row, 0 included.
    if (field === null) return [{ key: null, bucketStart: null, count: groups.reduce((sum, g) => sum + g.count, 0) }];
    return groups
      .map((g) => ({ key: keyText(args.groupBy, g.key), bucketStart: null, count: g.count }))
      .sort((a, b) => b.count - a.count || byKey(a.key, b.key));
  }
  const zone = args.timezone ?? 'UTC';
  if (!isValidTimeZone(zone))
    throw new BadUserInputError(
      `Unknown time zone ${JSON.stringify(zone)}; use an IANA name such as "America/Chicago" or "UTC"`,
      'timezone',
    );
  let from = args.from?.getTime();
  let to = args.to?.getTime();
  if (from === undefined) {
    const [first] = await store.find(selector, { order: { field: 'event_timestamp', direction: 1 }, limit: 1 });
    from = first?.event_timestamp.getTime();
  }
  if (to === undefined) {
    const [last] = await store.find(selector, { order: { field: 'event_timestamp', direction: -1 }, limit: 1 });
    to = last === undefined ? undefined : last.event_timestamp.getTime() + 1;
  }
  if (from === undefined || to === undefined || from >= to) return [];
  const boundaries = bucketBoundaries(from, to, args.bucket, zone);
  const groups = await store.countGroups(selector, { groupField: field, bucketBoundaries: boundaries });
  const keys = new Map<string | null, Map<number, number>>();
  if (field === null) keys.set(null, new Map());
  for (const g of groups) {
    const key = keyText(args.groupBy, g.key);
    let counts = keys.get(key);
    if (!counts) keys.set(key, (counts = new Map()));
    counts.set(g.bucket!, (counts.get(g.bucket!) ?? 0) + g.count);
  }
  const buckets = boundaries.length - 1;
  if (keys.size * buckets > MAX_COUNT_ROWS) {
    throw new BadUserInputError(
      `${keys.size} keys x ${buckets} buckets exceed ${MAX_COUNT_ROWS} rows; narrow the filter or use a larger bucket`,
      'bucket',
    );
  }
  const sortedKeys = [...keys.keys()].sort(byKey);
  const rows: EventCountRow[] = [];
  for (let i = 0; i < buckets; i++) {
    const bucketStart = new Date(boundaries[i]!);
    for (const key of sortedKeys) rows.push({ key, bucketStart, count: keys.get(key)!.get(i) ?? 0 });
  }
  return rows;
}
