/**
 * The filter form: what the person picks, and the EventFilter, chart window and CSV link it
 * means.
 */
import type { EventFilter, Level, SourceField, TimeBucket } from './api';
import { zonedWallTime } from './zoned-time';

export type RangePreset = '1h' | '24h' | '7d' | '30d' | 'all' | 'custom';

export const RANGE_PRESETS: readonly [RangePreset, string][] = [
  ['1h', 'Last hour'],
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
  ['30d', 'Last 30 days'],
  ['all', 'All time'],
  ['custom', 'Custom…'],
];

const HOUR = 3_600_000;
const PRESET_MS: Record<Exclude<RangePreset, 'all' | 'custom'>, number> = {
  '1h': HOUR,
  '24h': 24 * HOUR,
  '7d': 7 * 24 * HOUR,
  '30d': 30 * 24 * HOUR,
};

export interface FilterForm {
  minLevel: Level | '';
  eventType: string;
  sourceField: SourceField;
  /** Comma- or space-separated ids. */
  sourceIds: string;
  range: RangePreset;
  /** `datetime-local` values (wall clock in the dashboard's zone), used when `range` is custom. */
  from: string;
  to: string;
  text: string;
}

export const EMPTY_FORM: FilterForm = {
  minLevel: '',
  eventType: '',
  sourceField: 'nodeId',
  sourceIds: '',
  range: '24h',
  from: '',
  to: '',
  text: '',
};

function wallTimeToIso(value: string, zone: string): string | undefined {
  const instant = value ? zonedWallTime(value, zone) : null;
  return instant === null ? undefined : new Date(instant).toISOString();
}

/**
 * The EventFilter of a form at `now`, a custom range read in `zone`. Relative ranges have no
 * upper bound, so live events keep matching as time passes.
 */
export function toEventFilter(form: FilterForm, now: number, zone: string): EventFilter {
  const filter: EventFilter = {};
  if (form.minLevel) filter.minLevel = form.minLevel;
  if (form.eventType) filter.eventTypes = [form.eventType];
  const ids = form.sourceIds.split(/[\s,]+/).filter(Boolean);
  if (ids.length > 0) filter.source = { [form.sourceField]: ids };
  if (form.range === 'custom') {
    const from = wallTimeToIso(form.from, zone);
    const to = wallTimeToIso(form.to, zone);
    if (from) filter.from = from;
    if (to) filter.to = to;
  } else if (form.range !== 'all') {
    filter.from = new Date(now - PRESET_MS[form.range]).toISOString();
  }
  const text = form.text.trim();
  if (text) filter.text = text;
  return filter;
}

/** The chart's window and bucket size: the filter's range, or the last 30 days for "all time". */
export function chartWindow(filter: EventFilter, now: number): { from: string; to: string; bucket: TimeBucket } {
  const to = filter.to ? Date.parse(filter.to) : now;
  const from = filter.from ? Date.parse(filter.from) : to - 30 * 24 * HOUR;
  const span = Math.max(to - from, 60_000);
  const bucket: TimeBucket =
    span <= 3 * HOUR ? 'MINUTE' : span <= 3 * 24 * HOUR ? 'HOUR' : span <= 90 * 24 * HOUR ? 'DAY' : 'WEEK';
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), bucket };
}

/** Fixed bucket lengths, for filling empty buckets with zeros. */
export const BUCKET_MS: Partial<Record<TimeBucket, number>> = { MINUTE: 60_000, HOUR: HOUR };

/** Link to the streamed CSV export of the events a filter selects. */
export function csvExportUrl(exportPath: string, filter: EventFilter): string {
  return Object.keys(filter).length === 0
    ? exportPath
    : `${exportPath}?filter=${encodeURIComponent(JSON.stringify(filter))}`;
}

/** A stable key for a filter (effects re-run when it changes). */
export function filterKey(filter: EventFilter): string {
  return JSON.stringify(filter);
}
