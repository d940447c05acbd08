/**
 * The time buckets of the periods report: where each starts and ends in a time zone (real local
 * midnights, Monday weeks and month starts, DST included) and how MADSci labels it.
 */
import { DateTime } from 'luxon';
import { BadUserInputError } from '../core/errors';
import { UtilizationPeriod } from './analytics.enums';
import type { PeriodKind } from './report-types';
import type { Window } from './session-report';

/** MADSci's `analysis_type` values this server offers. */
export type PeriodType = 'hourly' | 'daily' | 'weekly' | 'monthly';

/** MADSci's `analysis_type` of each period. */
export const PERIOD_TYPES: Readonly<Record<UtilizationPeriod, PeriodType>> = {
  [UtilizationPeriod.HOURLY]: 'hourly',
  [UtilizationPeriod.DAILY]: 'daily',
  [UtilizationPeriod.WEEKLY]: 'weekly',
  [UtilizationPeriod.MONTHLY]: 'monthly',
};

/** MADSci's `period_info` of a bucket. */
export interface PeriodInfo {
  type: PeriodKind;
  display: string;
  short: string;
}

/** A time bucket: its zoned start (the label) and its UTC range, unclipped. */
export interface Bucket {
  index: number;
  start: number;
  end: number;
  zonedStart: DateTime;
  periodInfo: PeriodInfo;
}

/** Most buckets one periods report may have (about eleven years of hours). */
export const MAX_PERIODS = 100_000;

/** Whether luxon knows this IANA zone name (`UTC` included). */
export function isValidTimeZone(zone: string): boolean {
  return zone.trim() !== '' && DateTime.now().setZone(zone).isValid;
}

/**
 * Buckets of `[from, to]` in `zone` (docs/utilization-reports.md#buckets-and-time-zones: real local midnights and
 * month starts through luxon, DST included). Daily, weekly (Monday) and monthly buckets start at
 * the calendar unit holding `from`; hourly ones at `from` itself. Each ends at the next start or
 * at `to`.
 */
export function makeBuckets(window: Window, type: PeriodType, zone: string): Bucket[] {
  const approximate =
    (window.to - window.from) /
    { hourly: 3_600_000, daily: 86_400_000, weekly: 604_800_000, monthly: 2_419_200_000 }[type];
  if (approximate > MAX_PERIODS)
    throw new BadUserInputError(
      `At most ${MAX_PERIODS} periods per report; narrow the window or use a longer period`,
      'period',
    );
  const end = DateTime.fromMillis(window.to, { zone });
  let current = DateTime.fromMillis(window.from, { zone });
  if (type === 'monthly') current = current.startOf('month');
  else if (type === 'daily') current = current.startOf('day');
  else if (type === 'weekly') current = current.startOf('week');
  const step = { monthly: { months: 1 }, daily: { days: 1 }, weekly: { weeks: 1 }, hourly: { hours: 1 } }[type];
  const buckets: Bucket[] = [];
  while (current < end) {
    const next = current.plus(step);
    const stop = next < end ? next : end;
    buckets.push({
      index: buckets.length,
      start: current.toMillis(),
      end: stop.toMillis(),
      zonedStart: current,
      periodInfo: periodInfo(type, current),
    });
    current = stop;
  }
  return buckets;
}

function periodInfo(type: PeriodType, start: DateTime): PeriodInfo {
  const en = start.setLocale('en-US');
  switch (type) {
    case 'monthly':
      return { type: 'month', display: en.toFormat('LLLL yyyy'), short: en.toFormat('LLL yyyy') };
    case 'daily':
      return { type: 'day', display: en.toFormat('yyyy-MM-dd'), short: en.toFormat('MM-dd') };
    case 'weekly':
      return { type: 'week', display: `Week of ${en.toFormat('yyyy-MM-dd')}`, short: `Week ${en.toFormat('MM/dd')}` };
    case 'hourly':
      return { type: 'period', display: en.toFormat('yyyy-MM-dd HH:mm'), short: en.toFormat('MM/dd HH:mm') };
  }
}
